"""Channels: where an email or a notice goes when it is not the CRM's own email.

One module per channel (``smtp``, ``slack``, ``teams``), each declaring a :class:`~.base.ChannelSpec`
listed in :mod:`.registry`. A channel is a delivery target like a CRM: owed actions reach it through the
ledger (its name is their ``target``), with the same write-ahead mark, retries and dead letters.
"""
