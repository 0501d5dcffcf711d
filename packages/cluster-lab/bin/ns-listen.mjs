#!/usr/bin/env node
// Run inside a lab namespace (nsenter -n): opens a listening TCP socket there and hands it to the
// parent (the test process) over the IPC channel, then exits. The parent accepts connections on it,
// so a server in the test process answers inside the namespace without any address on the host.
// Usage: ns-listen.mjs HOST PORT
import net from 'node:net';

const [host, port] = process.argv.slice(2);
if (!host || !port || !process.send) {
  console.error('usage: ns-listen.mjs HOST PORT (with an IPC channel to the parent)');
  process.exit(2);
}
const server = net.createServer();
server.on('error', (err) => {
  console.error(`ns-listen: ${host}:${port}: ${err.message}`);
  process.exit(1);
});
server.listen({ host, port: Number(port), exclusive: true }, () => {
  process.send('listening', server, {}, (err) => {
    if (err) {
      console.error(`ns-listen: cannot hand the socket over: ${err.message}`);
      process.exit(1);
    }
    server.close();
    process.disconnect();
  });
});
