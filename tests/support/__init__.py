"""Test infrastructure for corptls: local PKI, origin server, intercepting proxy, OS-store namespace."""
