"""Persistence adapters. The only package that imports a database driver."""
