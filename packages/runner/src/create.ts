/**
 * create: validates a new resource's options, lets its kit check them (and name the children it
 * needs, created first, recursively), then stores everything out of service (OSU) on this node
 * in one write. Nothing is stored when any check fails.
 */
import { randomHex } from './lazy-crypto.ts';
import { ConfigError, ConflictError, NotFoundError, RESERVED_TAGS, tagProblem, withFix, type ChildSpec, type RawValue } from '@recovery-kit/sdk';
import { asKitError, runAction, toRaw } from './action-runner.ts';
import type { Engine } from './engine.ts';
import { reserve } from './reservation.ts';
import { discardSecrets, sealSecrets } from './secrets.ts';
import type { Dependency, ResourceRecord, StoreData, Switchback } from './store.ts';

export interface CreateInput {
  kitType: string;
  tag: string;
  options: Record<string, RawValue>;
  priority?: number | undefined;
  switchback?: Switchback | undefined;
  id?: string | undefined;
}

export function checkPriority(p: number): void {
  if (!Number.isInteger(p) || p < 1 || p > 999)
    throw new ConfigError(`priority ${p} is out of range`, { field: '--priority', fix: 'use a whole number from 1 (highest) to 999' });
}

function checkTag(tag: string): void {
  const why = tagProblem(tag);
  if (why) {
    throw new ConfigError(`tag ${JSON.stringify(tag.length > 100 ? `${tag.slice(0, 100)}...` : tag)} is not valid: ${why}`, {
      field: 'tag',
      fix: `use 1-80 letters, digits, "-", "_", "." or "/", starting with a letter, digit or "_", and not ${RESERVED_TAGS.map((t) => `"${t}"`).join(', ')}`,
    });
  }
}

const duplicateTag = (tag: string, why = 'already exists') =>
  new ConflictError(`a resource with tag "${tag}" ${why}`, {
    code: 'DUPLICATE_TAG',
    field: 'tag',
    fix: 'choose another --tag, or delete the existing resource first',
  });

export async function create(engine: Engine, input: CreateInput): Promise<ResourceRecord[]> {
  const priority = input.priority ?? 1;
  checkPriority(priority);
  checkTag(input.tag);
  const node = engine.node;
  const { data, release } = await reserve(engine, [input.tag], `create ${input.tag}`);
  const planned: ResourceRecord[] = [];
  const deps: Dependency[] = [];
  try {
    // Plans `tag` and, before it, the children its kit asks for. Records go into `planned`.
    const plan = async (kitType: string, tag: string, raw: Record<string, RawValue>, wantedId: string | undefined): Promise<void> => {
      checkTag(tag);
      if (data.resources[tag] || planned.some((p) => p.tag === tag)) throw duplicateTag(tag);
      let id = wantedId;
      if (id !== undefined && Object.values(data.resources).some((r) => r.id === id)) {
        throw new ConflictError(`a resource with id "${id}" already exists`, { code: 'DUPLICATE_ID', field: 'id', fix: 'choose another --id or leave it out' });
      }
      const kit = await engine.kit(kitType);
      const parsed = kit.options.parse(raw, `invalid options for ${kitType} resource "${tag}"`) as Record<string, unknown>;
      let options = parsed;
      let info: Record<string, unknown> = {};
      const childSpecs: ChildSpec[] = [];
      if (kit.actions.create) {
        let result;
        try {
          result = await runAction(kit, 'create', { ...engine.actionRun(data, tag, node, { options: parsed, overrides: {}, info: {} }), children: [] }, (ctx) =>
            kit.actions.create!(ctx),
          );
        } catch (err) {
          // A kit's own fix says what to do; otherwise tell the operator nothing was stored.
          const e = asKitError(err);
          if (e.fix) throw e;
          throw withFix(e, `nothing was stored; correct the options (or what kit ${kitType} checks on this server) and run create again`);
        }
        if (result?.options)
          options = kit.options.parse(toRaw(result.options), `kit ${kitType} normalized the options of "${tag}" into invalid values`) as Record<
            string,
            unknown
          >;
        if (result?.info) info = result.info;
        if (result?.id !== undefined && id === undefined) id = result.id;
        for (const c of result?.children ?? []) childSpecs.push(c);
      }
      for (const c of childSpecs) {
        await planChild(data, kitType, tag, c, plan);
        deps.push({ parent: tag, child: c.tag });
      }
      const now = new Date().toISOString();
      planned.push({
        tag,
        id: id ?? `${kitType}-${randomHex(4)}`,
        kit: kitType,
        kitPackage: kit.meta.name,
        kitVersion: kit.meta.version,
        options,
        createdAt: now,
        servers: { [node]: { priority, switchback: input.switchback ?? 'intelligent', overrides: {}, info, state: 'OSU', reason: 'created', since: now } },
      });
    };
    await plan(input.kitType, input.tag, input.options, input.id);
    // Secret options go to files of their own; the store holds references (secrets.ts).
    const written: string[] = [];
    const stored: ResourceRecord[] = [];
    try {
      for (const p of planned) {
        const sealed = sealSecrets(engine.settings.stateDir, await engine.kit(p.kit), p.options);
        written.push(...sealed.written);
        stored.push({ ...p, options: sealed.values });
      }
      engine.store.update((d) => {
        for (const p of stored) {
          if (d.resources[p.tag]) throw duplicateTag(p.tag, 'was created meanwhile');
          d.resources[p.tag] = p;
        }
        d.dependencies.push(...deps);
      });
    } catch (err) {
      discardSecrets(engine.settings.stateDir, written);
      throw err;
    }
  } finally {
    release();
  }
  for (const p of planned) engine.store.history({ event: 'create', tag: p.tag, kit: p.kit, node });
  return planned;
}

/** A child the kit asked for: an existing resource of the right kit, or one planned now. */
async function planChild(
  data: StoreData,
  kitType: string,
  tag: string,
  c: ChildSpec,
  plan: (kitType: string, tag: string, raw: Record<string, RawValue>, id: undefined) => Promise<void>,
): Promise<void> {
  const existing = data.resources[c.tag];
  if (existing) {
    if (existing.kit !== c.kitType)
      throw new ConflictError(`kit ${kitType} wants a ${c.kitType} child "${c.tag}", but that tag is a ${existing.kit} resource`, {
        code: 'DUPLICATE_TAG',
        field: 'tag',
        fix: 'rename one of them',
      });
    return;
  }
  if (c.existing) {
    const ofType = Object.values(data.resources)
      .filter((r) => r.kit === c.kitType)
      .map((r) => r.tag);
    throw new NotFoundError(
      `${kitType} resource "${tag}" needs the existing ${c.kitType} resource "${c.tag}" as its child, and there is no resource "${c.tag}"`,
      {
        code: 'UNKNOWN_TAG',
        field: 'tag',
        fix: ofType.length
          ? `name one of the ${c.kitType} resources: ${ofType.join(', ')}`
          : `create the ${c.kitType} resource first: kit-runner create ${c.kitType} --tag ${c.tag} ...`,
        details: { child: c.tag, kitType: c.kitType },
      },
    );
  }
  await plan(c.kitType, c.tag, toRaw(c.options), undefined);
}
