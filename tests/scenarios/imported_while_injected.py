"""Modules first imported while corptls is injected are stock again after extract()."""

from kit import has_corp

import corptls

corptls.inject()
import aiohttp.connector
import certifi
import requests

assert has_corp(aiohttp.connector._SSL_CONTEXT_VERIFIED)
assert requests.utils.DEFAULT_CA_BUNDLE_PATH == corptls.bundle_path()
corptls.extract()
stock = certifi.where()
assert stock.endswith("cacert.pem"), stock
assert requests.utils.DEFAULT_CA_BUNDLE_PATH == requests.adapters.DEFAULT_CA_BUNDLE_PATH == stock
assert not has_corp(aiohttp.connector._SSL_CONTEXT_VERIFIED)
