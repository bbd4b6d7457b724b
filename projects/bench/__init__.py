"""`make bench`: a large generated dataset and the speed figures measured on it.

Kept out of the app's request paths and out of the test suite: only the `bench` management
command imports it.
"""
