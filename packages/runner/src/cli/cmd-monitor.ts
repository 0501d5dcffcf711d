import { ExitCode } from '@recovery-kit/sdk';
import { Monitor } from '../monitor.ts';
import { engineFor, noExtra } from './common.ts';
import { defineCommand, type Invocation } from './spec.ts';
import { printJson } from './output.ts';

async function run(inv: Invocation): Promise<number> {
  noExtra(inv, 1, command.usage);
  const controller = new AbortController();
  const engine = engineFor(inv.settings, controller.signal);
  const monitor = new Monitor(engine);
  if (inv.values.once) {
    const outcomes = await monitor.pass(true);
    if (inv.settings.json) printJson({ ok: outcomes.every((o) => o.result !== 'failed'), node: engine.node, outcomes });
    else for (const o of outcomes) process.stdout.write(`${o.tag}: ${o.result}${o.reason ? ` (${o.reason})` : ''}\n`);
    return outcomes.some((o) => o.result === 'failed') ? ExitCode.NOT_RUNNING : ExitCode.OK;
  }
  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    monitor.logger.info(`${sig} received, stopping after the checks under way`);
    wake?.();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  monitor.logger.info(`monitoring resources in service on ${engine.node} (store ${engine.store.location})`);
  while (!stopping) {
    try {
      await monitor.pass();
    } catch (err) {
      monitor.logger.error(`monitor round failed: ${(err as Error).message}`);
    }
    if (stopping) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, monitor.nextDelay(1000));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  await monitor.drain();
  controller.abort();
  monitor.logger.info('monitor stopped');
  return ExitCode.OK;
}

export const command = defineCommand({
  name: 'monitor',
  summary: 'watch in-service resources: quickCheck, recover, escalate',
  usage: 'kit-runner monitor [--once]',
  help: [
    "Every LKCHECKINTERVAL seconds (or the kit's own interval tunable) runs quickCheck on each resource in service (ISP) on this node: at check level 20 on the first round and every DEEP_CHECK_EVERY-th (default 10), level 10 between (e.g. one AWS request instead of two). On failure runs recover once (LOCAL_RECOVERY=1; remove then restore for a kit without recover); if that fails, marks the resource OSF and starts ESCALATION_COMMAND.",
    "A resource this node carries but does not hold (not ISP), whose kit has a health command (the libreswan kit's standby VPN node), gets that command at the same interval: its check and local recovery; the result is logged and reported as `standby` with its health, the resource's state is unchanged and a failed health is not a failure of the pass.",
    'A check that cannot tell (unknown) is logged and counted; after UNKNOWN_LIMIT in a row the resource is treated as failed. Stops cleanly on SIGTERM or SIGINT. --once runs one pass and exits (0 when all healthy, 7 otherwise). As a service: examples/systemd/kit-runner-monitor.service.',
  ].join('\n'),
  examples: [
    { about: 'one round now, as a check from cron or a script', cmd: 'kit-runner monitor --once' },
    { about: 'run until stopped, logging to the journal', cmd: 'systemctl start kit-runner-monitor' },
  ],
  options: { once: { type: 'boolean' } },
  run,
});
