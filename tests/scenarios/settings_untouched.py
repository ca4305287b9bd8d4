"""inject() widens the roots only: every verification setting of a default context stays; a
CERT_NONE context gets no roots at all."""

import ssl

from kit import has_corp


def settings(c: ssl.SSLContext) -> tuple[object, ...]:
    return (c.verify_mode, c.check_hostname, c.verify_flags, c.options, c.minimum_version)


stock = ssl.create_default_context()
import corptls

corptls.inject()
injected = ssl.create_default_context()
assert has_corp(injected)
assert settings(injected) == settings(stock), (settings(injected), settings(stock))
server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server.set_default_verify_paths()
assert server.get_ca_certs(), "stock loads OpenSSL's default file; the bundle loads nothing up front"
