"""Discord extensions, one feature each: thin cogs that parse, call a service, render."""
