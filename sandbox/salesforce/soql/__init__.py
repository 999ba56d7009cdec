"""A SOQL subset: lexer and parser (text to AST), binder (AST to schema) and evaluator (rows)."""
