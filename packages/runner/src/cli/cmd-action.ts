import { ExitCode, UsageError } from '@recovery-kit/sdk';
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
  const engine = engineFor(inv.settings);
  const line = (s: StepReport) => {
    const where = s.server === engine.node ? '' : ` on ${s.server}`;
    if (s.outcome === 'skipped') return `${s.action} ${s.tag}${where}: skipped (${s.detail})`;
    return `${s.action} ${s.tag}${where}: ${s.outcome}${s.outcome === 'failed' ? ` (${oneLine(s.detail)})` : ''} (${s.durationMs} ms)`;
  };
  // The walk notes each step as it ends, and a skipped one where it passes it: lines in the walk's order.
  const note = (s: StepReport) => {
    if (!json) say(line(s));
  };
  const started = performance.now();
  try {
    if (action === 'restore' || action === 'remove') {
      const steps = action === 'restore' ? await restore(engine, tag, { note }) : await remove(engine, tag, { note, force: Boolean(inv.values.force) });
      const ms = Math.round(performance.now() - started);
      if (json) printJson({ ok: true, tag, action, node: engine.node, durationMs: ms, steps });
      else if (!isQuiet()) process.stdout.write(`${action} ${tag} on ${engine.node}: ok (${ms} ms)\n`);
      return ExitCode.OK;
    }
    if (action === 'quickCheck') {
      const r = await quickCheck(engine, tag);
      const code = r.status === 'failed' ? ExitCode.NOT_RUNNING : ExitCode.OK;
      if (json) printJson({ ok: r.status !== 'failed', tag, action, node: engine.node, ...r });
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
    if (err instanceof ActionError && json) {
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
    'restore   brings TAG and everything it depends on into service on this node, children first, skipping',
    '          resources already in service; resources in service on another server are removed there first.',
    '          Stops at the first failure, which is marked OSF with the reason.',
    'remove    takes TAG and everything that depends on it out of service, parents first (--force also runs the',
    "          kit's remove for resources already marked OSU).",
    'quickCheck  health probe; exit 0 healthy, 7 not healthy. Changes no state.',
    "recover   the kit's local repair; ISP on success, OSF on failure. A kit without recover gets remove, then restore.",
    'Other names run the kit\'s own commands ("kit-runner kits TYPE" lists them) with ARGS.',
    'Actions may be written in kebab-case (quick-check). A kit action\'s result prints as "key: value" lines;',
    '--json gives it as JSON. Step lines go to stderr in the order of the walk; -q prints only errors.',
  ].join('\n'),
  options: { force: { type: 'boolean' } },
  run,
});
