"""Pure domain code: models and rules. Imports neither discord nor a database driver."""
