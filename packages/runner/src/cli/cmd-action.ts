import { constants } from 'node:os';
import { ExitCode, KitError, UsageError } from '@recovery-kit/sdk';
import { elapsedMs, monotonicMs } from '../clock.ts';
import { settleCommands } from '../exec.ts';
import { ActionError, command as runCommand, quickCheck, recover, remove, restore, type StepReport } from '../walks.ts';
import { defineCommand, type Invocation } from './spec.ts';
import { engineFor, noExtra, positional } from './common.ts';
import { humanValue, isQuiet, note as say, oneLine, printJson } from './output.ts';

const ALIASES: Record<string, string> = {
  'quick-check': 'quickCheck',
  quickcheck: 'quickCheck',
  quickCheck: 'quickCheck',
  restore: 'restore',
  remove: 'remove',
  recover: 'recover',
};

async function run(inv: Invocation): Promise<number> {
  const usage = command.usage;
  const tag = positional(inv, 1, 'TAG', usage);
  const given = positional(inv, 2, 'ACTION', usage);
  noExtra(inv, 3, usage);
  const action = ALIASES[given] ?? given;
  if (['create', 'extend', 'unextend', 'delete'].includes(action)) {
    throw new UsageError(`${action} is not run with "action"`, { fix: `use "kit-runner ${action} ..." (kit-runner ${action} --help)` });
  }
  const json = inv.settings.json;
  // Cluster mode (docs/operate/cluster.md): Pacemaker moves the hierarchy; nothing runs here behind its back.
  if (process.env.KIT_RUNNER_STORE === 'cib' && (action === 'restore' || action === 'remove'))
    return (await import('./cmd-cluster.ts')).clusterRestore(tag, inv.settings.node, { json, remove: action === 'remove' });
  if (process.env.KIT_RUNNER_STORE === 'cib' && action !== 'quickCheck')
    throw new UsageError(`${action} is not run behind Pacemaker's back in cluster mode (KIT_RUNNER_STORE=cib)`, {
      field: 'ACTION',
      fix: "use restore or remove (Pacemaker moves or stops the hierarchy), or quickCheck; Pacemaker runs the kits' monitor and recovery",
    });
  const stop = interruptible(`${action} of ${tag}`, json);
  try {
    const code = await runAction(inv, tag, action, json, stop.signal);
    // A check the signal cut short answers "could not tell": still an interrupted command.
    return stop.received ? await stop.finish(undefined) : code;
  } catch (err) {
    if (!stop.received) throw err;
    return stop.finish(err);
  } finally {
    stop.dispose();
  }
}

/**
 * SIGTERM and SIGINT end a one-shot action cleanly: the signal aborts the action (its kit's
 * commands get SIGTERM, then SIGKILL after the grace period), the resource it was acting on is
 * recorded OSF with "interrupted by SIGTERM" as the reason (its pending mark cleared), a line
 * says what was interrupted, and kit-runner exits 128 + the signal's number (143, 130), as a
 * shell reports a process the signal ended. A second signal exits at once. Waiting for a
 * reservation is interrupted too: then nothing had started and nothing is changed.
 */
function interruptible(what: string, json: boolean) {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  let finishing = false;
  const codeOf = (sig: NodeJS.Signals) => 128 + (constants.signals[sig] ?? 15);
  const onSignal = (sig: NodeJS.Signals) => {
    if (received) {
      process.stderr.write(`kit-runner: ${sig} again: exiting now\n`);
      process.exit(codeOf(sig));
    }
    received = sig;
    process.stderr.write(`kit-runner: ${sig} received: interrupting ${what}\n`);
    controller.abort(new KitError(`${sig} received`, { code: 'STOPPED' }));
    // Nothing listens for the abort while waiting for a reservation: nothing has started, so exit.
    // (A running action rejects at once on the abort, and `finish` takes over.)
    setTimeout(() => {
      if (finishing) return;
      process.stderr.write(`kit-runner: ${what} interrupted by ${sig} before any action started; nothing was changed\n`);
      process.exit(codeOf(sig));
    }, 3000).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    async finish(err: unknown): Promise<number> {
      const sig = received!;
      finishing = true;
      await settleCommands();
      const steps = err instanceof ActionError ? err.steps : [];
      const cut = steps.find((s) => s.outcome === 'failed');
      if (json)
        printJson({ ok: false, interrupted: sig, steps, error: { code: 'INTERRUPTED', message: `${what} interrupted by ${sig}`, exitCode: codeOf(sig) } });
      process.stderr.write(
        `kit-runner: ${what} interrupted by ${sig}${cut ? `: ${cut.action} of ${cut.tag} on ${cut.server} stopped, marked OSF (out of service, failed)` : ''}\n` +
          (cut ? `  fix: check ${cut.tag}, then run "kit-runner action ${cut.tag} ${cut.action === 'remove' ? 'remove' : 'restore'}" again\n` : ''),
      );
      return codeOf(sig);
    },
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

async function runAction(inv: Invocation, tag: string, action: string, json: boolean, signal: AbortSignal): Promise<number> {
  const engine = engineFor(inv.settings, signal);
  const line = (s: StepReport) => {
    const where = s.server === engine.node ? '' : ` on ${s.server}`;
    if (s.outcome === 'skipped') return `${s.action} ${s.tag}${where}: skipped (${s.detail})`;
    return `${s.action} ${s.tag}${where}: ${s.outcome}${s.outcome === 'failed' ? ` (${oneLine(s.detail)})` : ''} (${s.durationMs} ms)`;
  };
  // The walk notes each step as it ends, and a skipped one where it passes it: lines in the walk's order.
  const note = (s: StepReport) => {
    if (!json) say(line(s));
  };
  const started = monotonicMs();
  try {
    if (action === 'restore' || action === 'remove') {
      const steps = action === 'restore' ? await restore(engine, tag, { note }) : await remove(engine, tag, { note, force: Boolean(inv.values.force) });
      const ms = elapsedMs(started);
      if (json) printJson({ ok: true, tag, action, node: engine.node, durationMs: ms, steps });
      else if (!isQuiet()) process.stdout.write(`${action} ${tag} on ${engine.node}: ok (${ms} ms)\n`);
      return ExitCode.OK;
    }
    if (action === 'quickCheck') {
      const { invalidAnswer, ...r } = await quickCheck(engine, tag);
      // An answer the contract does not allow is a bug in the kit: exit 1 (not "healthy", not "not running").
      const code = invalidAnswer ? ExitCode.FAILED : r.status === 'failed' ? ExitCode.NOT_RUNNING : ExitCode.OK;
      if (invalidAnswer && r.status === 'unknown')
        process.stderr.write(`kit-runner: error: ${oneLine(r.reason)}\n  fix: report it to the kit's author; the resource's state was not changed\n`);
      if (json)
        printJson({
          ok: r.status !== 'failed' && !invalidAnswer,
          tag,
          action,
          node: engine.node,
          ...r,
          ...(invalidAnswer ? { code: 'KIT_INVALID_ANSWER' } : {}),
        });
      else {
        const text = r.status === 'ok' ? 'healthy' : r.status === 'unknown' ? `could not tell: ${oneLine(r.reason)}` : `not healthy: ${oneLine(r.reason)}`;
        process.stdout.write(`quickCheck ${tag} on ${engine.node}: ${text} (${r.durationMs} ms)\n`);
      }
      return code;
    }
    if (action === 'recover') {
      const s = await recover(engine, tag);
      if (json) printJson({ ok: true, tag, action, node: engine.node, steps: [s] });
      else if (!isQuiet()) process.stdout.write(`recover ${tag} on ${engine.node}: ok (${s.durationMs} ms)\n`);
      return ExitCode.OK;
    }
    const result = await runCommand(engine, tag, action, inv.rest);
    if (json) printJson({ ok: true, tag, action, result: result ?? null });
    else if (result !== undefined && result !== null) {
      const text = typeof result === 'string' ? result.replace(/\n$/, '') : humanValue(result);
      if (text) process.stdout.write(`${text}\n`);
    }
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof ActionError && json && !signal.aborted) {
      printJson({ ok: false, tag, action, node: engine.node, steps: err.steps, error: err.toJSON() });
      process.stderr.write(`kit-runner: error: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

export const command = defineCommand({
  name: 'action',
  summary: "run an action: restore, remove, quickCheck, recover, or a kit's own",
  usage: 'kit-runner action TAG ACTION [--force] [-- ARGS...]',
  help: [
    'restore     brings TAG and everything it depends on into service on this node, children first, skipping resources already in service; resources in service on another server are removed there first. Stops at the first failure, which is marked OSF with the reason.',
    "remove      takes TAG and everything that depends on it out of service, parents first (--force also runs the kit's remove for resources already marked OSU).",
    'quickCheck  health probe; exit 0 healthy, 7 not healthy. Changes no state.',
    "recover     the kit's local repair; ISP on success, OSF on failure. A kit without recover gets remove, then restore.",
    'Other names run the kit\'s own commands ("kit-runner kits TYPE" lists them) with ARGS.',
    'Actions may be written in kebab-case (quick-check). A kit action\'s result prints as "key: value" lines; --json gives it as JSON. Step lines go to stderr in the order of the walk; -q prints only errors. While another kit-runner holds the hierarchy, the action waits up to LOCK_WAIT_TIMEOUT seconds and says who holds it. SIGTERM/SIGINT stop the kit\'s commands, mark the resource under way OSF, and exit 143/130 (docs/reference/exit-codes.md).',
  ].join('\n'),
  examples: [
    { about: 'bring web and everything it depends on into service here', cmd: 'kit-runner action web restore' },
    { about: 'health probe for scripts (exit 0 healthy, 7 not)', cmd: 'kit-runner action web quickCheck --json' },
    { about: "take web out of service, running the kit's remove even if it is marked OSU", cmd: 'kit-runner action web remove --force' },
    { about: "run a kit's own action (here the libreswan kit's health); ARGS go after --", cmd: 'kit-runner action tunnel health' },
  ],
  options: { force: { type: 'boolean' } },
  run,
});
