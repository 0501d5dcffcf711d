/**
 * The lab's stand-in for `ssh standby kit-runner action vpn health --json` (the image has no
 * ssh): on the standby VPN node, each TCP connection to ADDRESS:PORT runs the one fixed command
 * given after `--` and streams its standard output back, then closes. Nothing the client sends
 * is read, so no input reaches the command. The active node's `standbyHealth` is a bash
 * /dev/tcp client: `/bin/bash -c "exec 3<>/dev/tcp/ADDRESS/PORT && cat <&3"`.
 *
 *   node health-service.mjs ADDRESS PORT -- COMMAND [ARGS...]
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const [address, port, sep, file, ...args] = process.argv.slice(2);
if (!address || !port || sep !== '--' || !file) {
  console.error('usage: health-service.mjs ADDRESS PORT -- COMMAND [ARGS...]');
  process.exit(2);
}
createServer((sock) => {
  sock.on('error', () => undefined);
  const t = Date.now();
  const p = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  p.stdout.pipe(sock);
  p.on('error', (e) => sock.end(`health-service: ${e.message}\n`));
  p.on('close', (code) => console.error(`health-service: ${file} exited ${code} after ${Date.now() - t} ms`));
}).listen(Number(port), address, () => console.error(`health-service: listening on ${address}:${port}`));
