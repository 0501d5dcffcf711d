/**
 * Applies generated hierarchies to the live CIB with cibadmin (XML in, XML out; never parsed
 * text), touching only our elements:
 * - new elements (resources and the constraints that name them) in ONE `cibadmin --modify
 *   --allow-create` of `<configuration>`, so Pacemaker never sees a resource without its
 *   location scores (and the constraints' IDREFs resolve);
 * - changed elements with `cibadmin --replace` of that element (by id);
 * - our constraints of an applied hierarchy that are no longer wanted with `cibadmin --delete`.
 * Unchanged elements are not written, so a second apply changes nothing (the CIB's epoch stays).
 * An element with one of our ids that kit-runner did not write is never touched: apply refuses.
 */
import type * as ChildProcess from 'node:child_process';
import { builtin } from '../builtin.ts';
import { ConfigError, KitError } from '@recovery-kit/sdk';
import { DESCRIPTION_PREFIX, type Generated } from './cib.ts';
import { isHeld, isPromotableClone, withHold } from './hold.ts';
import { all, el, kid, parseXml, serialize, type El } from './xml.ts';

export interface CibRunner {
  /** Runs a Pacemaker CLI tool (argv[0] is the program), optionally with stdin. */
  run(argv: readonly string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
}

export const localCib: CibRunner = {
  run: (argv, input) =>
    new Promise((resolve) => {
      // On first use: cib-write.ts imports this module, and every file-mode process loads that
      // (file-store.ts, the CIB store) without running a Pacemaker tool (see builtin.ts).
      const { execFile } = builtin<typeof ChildProcess>('node:child_process');
      const child = execFile(argv[0]!, argv.slice(1), { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
        resolve({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
      else child.stdin?.end();
    }),
};

export interface ApplyReport {
  created: string[];
  replaced: string[];
  deleted: string[];
  unchanged: string[];
  /** New promotable clones written held Unpromoted (settle.ts): `releaseHeld` lets them be promoted. */
  held: string[];
}

/** Canonical text: attributes sorted, so the CIB's attribute order does not matter. */
export function canon(e: El): string {
  const sort = (x: El): El => ({
    name: x.name,
    attrs: Object.fromEntries(Object.entries(x.attrs).sort(([a], [b]) => a.localeCompare(b))),
    children: x.children.map(sort),
  });
  return serialize(sort(e));
}

async function must(cib: CibRunner, argv: string[], input?: string): Promise<string> {
  const r = await cib.run(argv, input);
  if (r.code !== 0) {
    throw new KitError(`${argv.slice(0, 3).join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`, {
      code: r.code === 127 ? 'NOT_INSTALLED' : 'CIB_FAILED',
      exitCode: r.code === 127 ? 5 : 1,
      fix:
        r.code === 127
          ? 'install pacemaker-cli-utils (cibadmin) on this node'
          : 'check that this node is an online cluster member ("crm_mon -1") and that the XML is valid ("kit-runner cluster apply --dry-run")',
    });
  }
  return r.stdout;
}

/** Our configuration in the live CIB. */
export async function queryConfiguration(cib: CibRunner): Promise<El> {
  return parseXml(await must(cib, ['cibadmin', '--query', '--scope', 'configuration']), 'cibadmin --query');
}

/** Written by kit-runner: our description, or one of our `rk-` ids. */
export const ours = (e: El) => (e.attrs.description ?? '').startsWith(DESCRIPTION_PREFIX) || (e.attrs.id ?? '').startsWith('rk-');

export async function applyGenerated(cib: CibRunner, g: Generated, o: { dryRun?: boolean } = {}): Promise<ApplyReport> {
  const conf = await queryConfiguration(cib);
  const rscs = kid(conf, 'resources');
  const cons = kid(conf, 'constraints');
  const byId = new Map<string, { e: El; parent: El }>();
  const index = (parent: El | undefined) => {
    for (const e of parent?.children ?? []) {
      if (e.attrs.id && parent) byId.set(e.attrs.id, { e, parent });
      if (e.name === 'group' || e.name === 'clone') index(e);
    }
  };
  index(rscs);
  for (const c of cons?.children ?? []) if (c.attrs.id) byId.set(c.attrs.id, { e: c, parent: cons! });
  const report: ApplyReport = { created: [], replaced: [], deleted: [], unchanged: [], held: [] };
  const creates: { resources: El[]; constraints: El[] } = { resources: [], constraints: [] };
  const replaces: El[] = [];
  const deletes: El[] = [];
  const wantedRsc = new Set(g.resources.map((r) => r.attrs.id!));
  // A hierarchy's group of an earlier shape (a chain that now holds a promotable clone, or is no chain):
  // deleted with its members, which are created again in their new form.
  const stale = new Set(
    g.hierarchies.map((h) => `rk-${h.root}`).filter((id) => byId.get(id)?.e.name === 'group' && ours(byId.get(id)!.e) && !wantedRsc.has(id)),
  );
  const plan = (want: El, section: 'resources' | 'constraints') => {
    const id = want.attrs.id!;
    const found = byId.get(id);
    const have = found && stale.has(found.parent.attrs.id ?? '') ? undefined : found;
    // Group or clone members already defined elsewhere (e.g. as top-level primitives of an earlier shape).
    const members =
      want.name === 'group' || want.name === 'clone'
        ? all(want, 'primitive')
            .map((p) => byId.get(p.attrs.id!))
            .filter((x) => x && x.parent.attrs.id !== id && !stale.has(x.parent.attrs.id ?? ''))
        : [];
    for (const x of [have, ...members]) {
      if (x && !ours(x.e)) {
        throw new ConfigError(`the CIB already has a ${x.e.name} "${x.e.attrs.id}" that kit-runner did not write`, {
          field: x.e.attrs.id,
          fix: `rename the resource in the store or remove ${x.e.attrs.id} from the CIB yourself ("cibadmin --query --xpath \\"//*[@id='${x.e.attrs.id}']\\"" shows it)`,
        });
      }
    }
    // A new promotable clone is written held (settle.ts); one still held from an interrupted apply stays so.
    const hold = isPromotableClone(want) && (!have || have.e.name !== want.name || members.length > 0 || isHeld(have.e));
    if (hold) {
      want = withHold(want);
      report.held.push(id);
    }
    if (!have && !members.length) {
      creates[section].push(want);
      report.created.push(id);
    } else if (have && !members.length && have.e.name === want.name && canon(have.e) === canon(want)) {
      report.unchanged.push(id);
    } else if (have && !members.length && have.e.name === want.name) {
      replaces.push(want);
      report.replaced.push(id);
    } else {
      for (const x of [have, ...members]) if (x) deletes.push(x.e);
      creates[section].push(want);
      report.replaced.push(id);
    }
  };
  for (const r of g.resources) plan(r, 'resources');
  for (const c of g.constraints) plan(c, 'constraints');
  const wanted = new Set(g.constraints.map((c) => c.attrs.id!));
  for (const h of g.hierarchies) {
    for (const c of cons?.children ?? []) {
      const id = c.attrs.id ?? '';
      if (id.startsWith(`rk-${h.root}-`) && !wanted.has(id)) {
        deletes.push(c);
        report.deleted.push(id);
      }
    }
    // A grant gate of a region the hierarchy no longer spans (ticket.ts).
    for (const r of rscs?.children ?? []) {
      const id = r.attrs.id ?? '';
      if (r.name === 'clone' && id.startsWith(`rk-${h.root}-grant-`) && ours(r) && !wantedRsc.has(id)) {
        deletes.push(r);
        report.deleted.push(id);
      }
    }
  }
  for (const id of stale) {
    deletes.push(byId.get(id)!.e);
    report.deleted.push(id);
  }
  if (o.dryRun) return report;
  for (const d of deletes) await must(cib, ['cibadmin', '--delete', '--xml-pipe'], serialize(el(d.name, { id: d.attrs.id })));
  if (creates.resources.length || creates.constraints.length) {
    const xml = serialize(el('configuration', {}, [el('resources', {}, creates.resources), el('constraints', {}, creates.constraints)]));
    await must(cib, ['cibadmin', '--modify', '--allow-create', '--scope', 'configuration', '--xml-pipe'], xml);
  }
  for (const r of replaces) await must(cib, ['cibadmin', '--replace', '--xml-pipe'], serialize(r));
  return report;
}
