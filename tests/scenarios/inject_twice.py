"""inject() and extract() twice each: the second of each changes nothing."""

import ssl
import sys

from kit import has_corp

import corptls

corptls.inject()
once = len(ssl.create_default_context().get_ca_certs())
meta = list(sys.meta_path)
corptls.inject()
ctx = ssl.create_default_context()
assert len(ctx.get_ca_certs()) == once and has_corp(ctx)
assert sys.meta_path == meta
corptls.extract()
corptls.extract()
assert not has_corp(ssl.create_default_context())
