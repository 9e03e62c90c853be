"""Readers that turn one kind of input (a file's bytes or a fetched page) into articles.

``files`` picks the reader by file suffix, ``web`` by the content type a server sends.
Every reader reports bad input as :class:`LoadError`.
"""
