//! Capturing the certificate chain a server (or the network in front of it) presents.
//!
//! The handshake is aborted as soon as the chain arrives: after the ClientHello (and the
//! CONNECT request to a proxy) only an alert is sent, never application data, so no
//! verification is skipped for any data. Every step has a deadline.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

/// Why a capture failed, sorted so that Python can raise the matching exception.
pub enum Failure {
    Timeout(String),
    Refused(String),
    Network(String),
    Proxy(String),
    Handshake(String),
    Input(String),
}

/// Where to connect: directly, or through an HTTP proxy with a CONNECT tunnel.
pub struct Route<'a> {
    pub host: &'a str,
    pub port: u16,
    pub proxy: Option<(&'a str, u16)>,
    pub proxy_authorization: Option<&'a str>,
}

/// The longest timeout: a day. Beyond it a number is a typo, and where `Instant` overflows
/// differs per platform (Windows' reaches far further than Linux's).
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// The chain as presented, leaf first.
pub fn capture(route: &Route<'_>, timeout: Duration) -> Result<Vec<Vec<u8>>, Failure> {
    let deadline = Some(timeout)
        .filter(|t| *t <= MAX_TIMEOUT)
        .and_then(|t| Instant::now().checked_add(t))
        .ok_or_else(|| Failure::Input(format!("timeout too large: {} s (at most a day)", timeout.as_secs())))?;
    let name = ServerName::try_from(route.host.to_owned())
        .map_err(|_| Failure::Input(format!("not a valid host name: {:?}", route.host)))?;
    let (via_host, via_port) = route.proxy.unwrap_or((route.host, route.port));
    let mut sock = connect(via_host, via_port, deadline)?;
    if route.proxy.is_some() {
        tunnel(&mut sock, route, deadline)?;
    }
    handshake(sock, name, deadline)
}

fn connect(host: &str, port: u16, deadline: Instant) -> Result<TcpStream, Failure> {
    let addrs = resolve(host, port, deadline)?;
    let mut last = Failure::Network(format!("{host} has no address"));
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, remaining(deadline, host)?) {
            Ok(sock) => return Ok(sock),
            Err(e) => last = io_failure(&format!("cannot connect to {host}:{port}"), e),
        }
    }
    Err(last)
}

/// Name resolution (getaddrinfo) has no timeout of its own: it runs on a helper thread, which is
/// abandoned at the deadline (it ends when the resolver gives up).
fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, Failure> {
    let (sender, receiver) = mpsc::channel();
    let name = host.to_owned();
    std::thread::spawn(move || {
        let _ = sender.send((name.as_str(), port).to_socket_addrs().map(Iterator::collect::<Vec<_>>));
    });
    match receiver.recv_timeout(remaining(deadline, host)?) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(e)) => Err(Failure::Network(format!("cannot resolve {host}: {e}"))),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Failure::Timeout(format!("timed out resolving {host}"))),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Failure::Network(format!("cannot resolve {host}"))),
    }
}

/// `CONNECT host:port` and its answer: anything but 2xx is the proxy refusing.
fn tunnel(sock: &mut TcpStream, route: &Route<'_>, deadline: Instant) -> Result<(), Failure> {
    let target = format!("{}:{}", bracketed(route.host), route.port);
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(auth) = route.proxy_authorization {
        request.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    request.push_str("\r\n");
    set_deadline(sock, deadline, "the proxy")?;
    sock.write_all(request.as_bytes()).map_err(|e| io_failure("cannot talk to the proxy", e))?;
    // Read byte by byte up to the blank line, so that no TLS byte is swallowed.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        set_deadline(sock, deadline, "the proxy")?;
        match sock.read(&mut byte) {
            Ok(0) => return Err(Failure::Proxy("the proxy closed the connection during CONNECT".into())),
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(io_failure("no answer from the proxy to CONNECT", e)),
        }
        if head.len() > 16 * 1024 {
            return Err(Failure::Proxy("the proxy's answer to CONNECT is too long".into()));
        }
    }
    let status = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_owned();
    match status.split_whitespace().nth(1) {
        Some(code) if code.starts_with('2') => Ok(()),
        _ => Err(Failure::Proxy(format!("the proxy refused CONNECT {target}: {status}"))),
    }
}

fn handshake(mut sock: TcpStream, name: ServerName<'static>, deadline: Instant) -> Result<Vec<Vec<u8>>, Failure> {
    let provider = Arc::new(ring::default_provider());
    let recorder =
        Arc::new(Recorder { chain: Mutex::new(Vec::new()), algorithms: provider.signature_verification_algorithms });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::Handshake(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let mut conn = ClientConnection::new(Arc::new(config), name).map_err(|e| Failure::Handshake(e.to_string()))?;
    let outcome = loop {
        let captured = recorder.chain.lock().map(|c| c.clone()).unwrap_or_default();
        if !captured.is_empty() {
            return Ok(captured);
        }
        set_deadline(&sock, deadline, "the server")?;
        match conn.complete_io(&mut sock) {
            Ok((0, 0)) => break Failure::Handshake("the server closed the connection during the handshake".into()),
            Ok(_) => continue,
            Err(e) => break io_failure("TLS handshake failed", e),
        }
    };
    // The recorder aborts the handshake on purpose once it has the chain.
    let captured = recorder.chain.lock().map(|c| c.clone()).unwrap_or_default();
    if captured.is_empty() {
        Err(outcome)
    } else {
        Ok(captured)
    }
}

/// Records the presented chain and refuses it, which ends the handshake.
#[derive(Debug)]
struct Recorder {
    chain: Mutex<Vec<Vec<u8>>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            *chain = std::iter::once(end_entity).chain(intermediates).map(|c| c.to_vec()).collect();
        }
        Err(rustls::Error::General("chain captured; corptls never completes this handshake".into()))
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("not verified".into()))
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("not verified".into()))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn remaining(deadline: Instant, what: &str) -> Result<Duration, Failure> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| Failure::Timeout(format!("timed out waiting for {what}")))
}

fn set_deadline(sock: &TcpStream, deadline: Instant, what: &str) -> Result<(), Failure> {
    let left = remaining(deadline, what)?;
    sock.set_read_timeout(Some(left))
        .and_then(|()| sock.set_write_timeout(Some(left)))
        .map_err(|e| Failure::Network(e.to_string()))
}

fn io_failure(context: &str, e: io::Error) -> Failure {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Failure::Timeout(format!("{context}: timed out")),
        io::ErrorKind::ConnectionRefused => Failure::Refused(format!("{context}: connection refused")),
        io::ErrorKind::InvalidData => Failure::Handshake(format!("{context}: {e}")),
        _ => Failure::Network(format!("{context}: {e}")),
    }
}

fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn direct(host: &str, port: u16) -> Route<'_> {
        Route { host, port, proxy: None, proxy_authorization: None }
    }

    #[test]
    fn timeout_past_the_end_of_time_is_an_input_error() {
        match capture(&direct("127.0.0.1", 9), Duration::from_secs(u64::MAX / 2)) {
            Err(Failure::Input(m)) => assert!(m.contains("timeout too large"), "{m}"),
            _ => panic!("expected Input"),
        }
    }

    #[test]
    fn closed_port_is_refused() {
        // A port that was just free: nothing listens there any more.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        match capture(&direct("127.0.0.1", port), Duration::from_secs(3)) {
            Err(Failure::Refused(m)) => assert!(m.contains("connection refused"), "{m}"),
            _ => panic!("expected Refused"),
        }
    }

    #[test]
    fn invalid_host_name_is_input() {
        match capture(&direct("not a host!", 443), Duration::from_secs(3)) {
            Err(Failure::Input(m)) => assert!(m.contains("not a valid host name"), "{m}"),
            _ => panic!("expected Input"),
        }
    }

    #[test]
    fn silent_server_times_out_at_the_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let started = Instant::now();
        let outcome = capture(&direct("127.0.0.1", port), Duration::from_millis(300));
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(matches!(outcome, Err(Failure::Timeout(_))), "expected Timeout");
        drop(listener);
    }

    #[test]
    fn refused_connect_is_a_proxy_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            conn.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n").unwrap();
        });
        let route =
            Route { host: "api.corp.test", port: 443, proxy: Some(("127.0.0.1", port)), proxy_authorization: None };
        match capture(&route, Duration::from_secs(3)) {
            Err(Failure::Proxy(m)) => assert!(m.contains("403 Forbidden") && m.contains("api.corp.test:443"), "{m}"),
            _ => panic!("expected Proxy"),
        }
        server.join().unwrap();
    }
}
