import { UsageError } from '@recovery-kit/sdk';
import { COMMANDS, type Invocation } from './main.ts';
import { engineFor, intFlag, noExtra, positional, readOptions, switchbackFlag } from './common.ts';
import { printJson } from './output.ts';

export async function run(inv: Invocation): Promise<number> {
  const name = inv.positionals[0]!;
  const usage = COMMANDS[name]!.usage;
  const engine = engineFor(inv.settings);
  const json = inv.settings.json;
  const say = (text: string, value: unknown) => {
    if (json) printJson({ ok: true, ...(value as object) });
    else process.stdout.write(`${text}\n`);
  };
  switch (name) {
    case 'create': {
      const kitType = positional(inv, 1, 'KIT_TYPE', usage);
      noExtra(inv, 2, usage);
      const tag = inv.values.tag;
      if (typeof tag !== 'string') throw new UsageError('--tag is required', { field: '--tag', fix: `usage: ${usage}` });
      const created = await engine.create({
        kitType,
        tag,
        options: readOptions(inv.values),
        priority: intFlag(inv.values.priority, '--priority', 1),
        switchback: switchbackFlag(inv.values.switchback),
        id: typeof inv.values.id === 'string' ? inv.values.id : undefined,
      });
      let steps: unknown;
      if (inv.values.restore) steps = await engine.restore(tag);
      say(
        `created ${created.map((r) => `${r.tag} (${r.kit}, id ${r.id})`).join(', ')} on ${engine.node}${inv.values.restore ? '; in service' : '; out of service (OSU): bring it up with "kit-runner action ' + tag + ' restore"'}`,
        { created: created.map((r) => ({ tag: r.tag, id: r.id, kit: r.kit })), node: engine.node, ...(steps ? { steps } : {}) },
      );
      return 0;
    }
    case 'extend': {
      const tag = positional(inv, 1, 'TAG', usage);
      noExtra(inv, 2, usage);
      const server = inv.values.server;
      if (typeof server !== 'string') throw new UsageError('--server is required', { field: '--server', fix: `usage: ${usage}` });
      const done = await engine.extend({
        tag,
        server,
        priority: intFlag(inv.values.priority, '--priority'),
        switchback: switchbackFlag(inv.values.switchback),
        options: readOptions(inv.values),
      });
      say(`extended ${done.join(', ')} to ${server}`, { extended: done, server });
      return 0;
    }
    case 'unextend': {
      const tag = positional(inv, 1, 'TAG', usage);
      noExtra(inv, 2, usage);
      const server = inv.values.server;
      if (typeof server !== 'string') throw new UsageError('--server is required', { field: '--server', fix: `usage: ${usage}` });
      const done = await engine.unextend(tag, server);
      say(`unextended ${done.join(', ')} from ${server}`, { unextended: done, server });
      return 0;
    }
    case 'delete': {
      const tag = positional(inv, 1, 'TAG', usage);
      noExtra(inv, 2, usage);
      await engine.delete(tag, { force: Boolean(inv.values.force) });
      say(`deleted ${tag}`, { deleted: tag });
      return 0;
    }
    case 'dep': {
      const sub = positional(inv, 1, 'add|remove', usage);
      const parent = positional(inv, 2, 'PARENT', usage);
      const child = positional(inv, 3, 'CHILD', usage);
      noExtra(inv, 4, usage);
      if (sub === 'add') await engine.depAdd(parent, child);
      else if (sub === 'remove') await engine.depRemove(parent, child);
      else throw new UsageError(`unknown dep subcommand "${sub}"`, { fix: `usage: ${usage}` });
      say(`${parent} ${sub === 'add' ? 'now depends on' : 'no longer depends on'} ${child}`, { parent, child, dependency: sub === 'add' });
      return 0;
    }
  }
  throw new UsageError(`unknown command ${name}`);
}
