// argv: HOST PROXY_URL. CONNECT through the proxy, then TLS with Node's default roots (plus
// NODE_EXTRA_CA_CERTS); prints "ok <status>" or "error <code>".
const http = require('http'), tls = require('tls');
const host = process.argv[2], proxy = new URL(process.argv[3]);
const fail = (e) => { console.log(`error ${e.code || e.message}`); process.exitCode = 1; };
const req = http.request({host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: `${host}:443`, agent: false});
req.setTimeout(15000, () => req.destroy(new Error('timeout')));
req.on('error', fail);
req.on('connect', (res, socket) => {
  const s = tls.connect({socket, servername: host}, () => s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
  let data = '';
  s.on('data', (d) => { data += d; });
  s.on('end', () => console.log(`ok ${data.split(' ')[1]}`));
  s.on('error', fail);
});
req.end();
