/**
 * kit-runner's command line: a static list of the commands, each loaded only when it runs, so
 * `status` never loads a kit or the AWS SDK. A command's usage, help and options live in its own
 * module (`cmd-*.ts`); the global options live in the leaf `spec.ts`.
 */
import { parseArgs } from 'node:util';
import { ExitCode, UsageError } from '@recovery-kit/sdk';
import { printError, setQuiet, wantsCauses } from './output.ts';
import { setTunablesWarningSink } from '../tunables.ts';
import { resolveSettings, type GlobalFlags } from '../settings.ts';
import { EXIT_CODES, GLOBAL_OPTIONS, leadingGlobals, type Command, type Invocation } from './spec.ts';
import { commandHelp, definitions, globalBlock, helpWidth, wrapLine } from './format.ts';

interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<{ command: Command }>;
}

/** The commands in the order `kit-runner --help` lists them. Summaries are checked against the modules by a test. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'status', summary: 'show resource hierarchies and their states (like lcdstatus)', load: () => import('./cmd-status.ts') },
  { name: 'kits', summary: 'list installed kits, or describe one', load: () => import('./cmd-kits.ts') },
  { name: 'create', summary: 'create a resource of a kit on this node', load: () => import('./cmd-create.ts') },
  { name: 'extend', summary: 'extend a resource (and what it depends on) to another server', load: () => import('./cmd-extend.ts') },
  { name: 'unextend', summary: 'remove a server from a resource and everything above it', load: () => import('./cmd-unextend.ts') },
  { name: 'delete', summary: 'delete a resource from every server', load: () => import('./cmd-delete.ts') },
  { name: 'dep', summary: 'add or remove a dependency (PARENT depends on CHILD)', load: () => import('./cmd-dep.ts') },
  { name: 'action', summary: "run an action: restore, remove, quickCheck, recover, or a kit's own", load: () => import('./cmd-action.ts') },
  { name: 'tunables', summary: 'show the tunables in effect, their values and where they come from', load: () => import('./cmd-tunables.ts') },
  { name: 'monitor', summary: 'watch in-service resources: quickCheck, recover, escalate', load: () => import('./cmd-monitor.ts') },
  { name: 'cluster', summary: 'apply the hierarchies to a Pacemaker cluster (CIB), or import them from it', load: () => import('./cmd-cluster.ts') },
  { name: 'ocf', summary: 'install or remove the OCF resource agents (ocf:recovery-kit:<kitType>) for Pacemaker', load: () => import('../ocf/command.ts') },
  { name: 'completion', summary: 'print the shell completion script (bash)', load: () => import('./cmd-completion.ts') },
];

/** Every command's spec, in the list's order (the manual page, the synopsis). */
async function allCommands(): Promise<Command[]> {
  return Promise.all(COMMANDS.map(async (c) => (await c.load()).command));
}

function topHelp(width = helpWidth()): string {
  const entries: Array<[string, string]> = [
    ...COMMANDS.map((c): [string, string] => [c.name, c.summary]),
    ['KIT_TYPE', 'a kit\'s own commands, e.g. "kit-runner ec2 --help"'],
  ];
  const codes = EXIT_CODES.map((x) => `${x.code} ${x.short}`).join(', ');
  return [
    'kit-runner: run recovery kits: resource hierarchies, actions, monitoring.',
    'Usage: kit-runner [GLOBAL OPTIONS] COMMAND [ARGS] [OPTIONS]',
    `Commands:\n${definitions(entries, width)}`,
    wrapLine('"kit-runner COMMAND --help" (or "kit-runner help COMMAND") shows a command\'s usage and examples; "man kit-runner" has them all.', width),
    globalBlock(width),
    wrapLine(`Exit codes: ${codes}. See docs/reference/exit-codes.md.`, width),
  ]
    .join('\n\n')
    .concat('\n');
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  // Shell completion (cmd-completion.ts): hidden, quiet, and loads nothing it does not need.
  if (argv[0] === '__complete') {
    try {
      return await (await import('./complete.ts')).runComplete(COMMANDS, argv.slice(1));
    } catch {
      return ExitCode.FAILED;
    }
  }
  try {
    const { globals, rest: tail } = leadingGlobals(argv);
    const [name, ...afterName] = tail;
    const rest = [...globals, ...afterName];
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = COMMANDS.find((c) => c.name === afterName[0]);
      if (name === 'help' && (afterName[0] === '--man' || afterName[0] === '--synopsis')) {
        const man = await import('./man.ts');
        const { runnerVersion } = await import('../version.ts');
        const commands = await allCommands();
        process.stdout.write(afterName[0] === '--man' ? man.manPage(commands, runnerVersion()) : man.synopsisText(commands));
        return ExitCode.OK;
      }
      if (name === 'help' && topic) process.stdout.write(commandHelp((await topic.load()).command));
      else process.stdout.write(topHelp());
      return name === undefined ? ExitCode.USAGE : ExitCode.OK;
    }
    if (name === '--version' || name === '-V' || name === 'version') {
      const { runnerVersion } = await import('../version.ts');
      process.stdout.write(`${runnerVersion()}\n`);
      return ExitCode.OK;
    }
    const entry = COMMANDS.find((c) => c.name === name);
    if (!entry) {
      if (/^[a-z][a-z0-9-]*$/.test(name)) {
        const { runKitCli } = await import('./cmd-kit-cli.ts');
        return await runKitCli(name, afterName, globals);
      }
      throw new UsageError(`unknown command "${name}"`, { field: 'command', fix: `run "kit-runner --help" for the list of commands` });
    }
    const { command } = await entry.load();
    const dashdash = rest.indexOf('--');
    const args = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
    const after = dashdash >= 0 ? rest.slice(dashdash + 1) : [];
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, '')}`, {
        fix: `usage: ${command.usage} (kit-runner ${name} --help)`,
      });
    }
    const values = parsed.values as Invocation['values'];
    if (values.progress) process.env.KIT_RUNNER_PROGRESS = '1';
    if (values.quiet) {
      setQuiet(true);
      setTunablesWarningSink(() => {});
    }
    const inv = (): Invocation => {
      const settings = resolveSettings(values as GlobalFlags);
      if (values.quiet && !values.verbose) settings.logLevel = 'error';
      return { settings, values, positionals: [name, ...parsed.positionals], rest: after };
    };
    if (values.help) {
      process.stdout.write(commandHelp(command));
      return (await command.moreHelp?.(inv())) ?? ExitCode.OK;
    }
    return await command.run(inv());
  } catch (err) {
    return printError(err, json, wantsCauses(argv));
  }
}
