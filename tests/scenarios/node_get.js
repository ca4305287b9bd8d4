// GET URL (argv[2]) with Node's https and its default roots (plus NODE_EXTRA_CA_CERTS); one
// connection, no keep-alive. Prints "ok <status> <body>" or "error <code>".
const https = require('https');
const req = https.get(process.argv[2], {agent: false, timeout: 15000}, (res) => {
  let body = '';
  res.on('data', (chunk) => { body += chunk; });
  res.on('end', () => console.log(`ok ${res.statusCode} ${body}`));
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (e) => { console.log(`error ${e.code || e.message}`); process.exitCode = 1; });
