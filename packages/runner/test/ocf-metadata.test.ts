import { describe, expect, it } from 'vitest';
import { BUNDLED_KITS, DTD_10, OCF_FIXTURE_KITS, RNG_11, kitRunner, ocfSandbox, xmllint } from './ocf-helpers.ts';

const meta = (kitType: string, profile: '1.0' | '1.1', kitsDir?: string) => {
  const r = kitRunner([...(kitsDir ? ['--kits-dir', kitsDir] : []), 'ocf', 'meta-data', kitType, '--profile', profile]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};

describe('OCF meta-data generated from the option schema', () => {
  it.each(BUNDLED_KITS)('%s: the 1.0 profile is valid against ra-api-1.dtd, the 1.1 profile against our RelaxNG', (kitType) => {
    const m10 = meta(kitType, '1.0');
    const dtd = xmllint(['--dtdvalid', DTD_10], m10);
    expect(dtd.ok, dtd.out).toBe(true);
    // as ocf-tester runs it: --valid through the DOCTYPE, from the DTD's directory
    expect(xmllint(['--valid'], m10, '/usr/share/resource-agents').ok).toBe(true);
    expect(m10).not.toMatch(/type="select"|unique-group|reloadable|reload-agent|type="time"/);
    const m11 = meta(kitType, '1.1');
    const rng = xmllint(['--relaxng', RNG_11], m11);
    expect(rng.ok, rng.out).toBe(true);
    expect(m11).toContain('<version>1.1</version>');
    expect(m11).not.toContain('type="time"');
  });

  it('every option is a parameter with its type, default, required flag and descriptions', () => {
    const m = meta('ip', '1.1');
    expect(m).toMatch(
      /<parameter name="address" required="1" unique-group="address">\n<longdesc lang="en">The virtual address with its prefix length[^<]*<\/longdesc>\n<shortdesc lang="en">[^<]+<\/shortdesc>\n<content type="string"\/>/,
    );
    expect(m).toMatch(/<parameter name="pingList" required="0" reloadable="1">[\s\S]*?A comma- or space-separated list[\s\S]*?<content type="string"\/>/);
    for (const p of ['address', 'device', 'label', 'pingList', 'netns', 'local_recovery', 'degraded_results', 'children'])
      expect(m).toContain(`<parameter name="${p}"`);
    const ec2 = meta('ec2', '1.1');
    expect(ec2).toContain('<content type="select"><option value="route-table"/><option value="elastic-ip"/></content>');
    expect(ec2).toMatch(/<parameter name="createMissing" required="0">[\s\S]*?<content type="boolean" default="false"\/>/);
    const ec210 = meta('ec2', '1.0');
    expect(ec210).toMatch(/<parameter name="scenario" required="1" unique="0">[\s\S]*?One of: route-table, elastic-ip\.[\s\S]*?<content type="string"\/>/);
    const pg = meta('postgresql', '1.1');
    expect(pg).toMatch(/<parameter name="port" required="0">[\s\S]*?<content type="integer" default="5432"\/>/);
  });

  it("action timeouts come from the kit's timeout tunables' defaults, else the runner's, and say which", () => {
    const ec2 = meta('ec2', '1.1');
    expect(ec2).toContain('<action name="start" timeout="300s"/>');
    expect(ec2).toContain('<action name="monitor" timeout="100s" interval="30s"/>');
    expect(ec2).toContain("monitor: 100 s, the default of the kit's EC2_QUICKCHECK_TIMEOUT");
    const ip = meta('ip', '1.1');
    expect(ip).toContain('<action name="monitor" timeout="12s"');
    expect(ip).toContain("start: 300 s, the runner's RESTORE_TIMEOUT default (the kit declares no timeout of its own: no measured worst case)");
    expect(ip).toContain('<action name="recover"');
  });

  it('a kit with roles, unique and reloadable options and check levels (fixture): 1.1 and 1.0 forms', () => {
    const m11 = meta('roles', '1.1', OCF_FIXTURE_KITS);
    expect(xmllint(['--relaxng', RNG_11], m11).ok).toBe(true);
    expect(m11).toContain('<parameter name="name" required="1" unique-group="identity">');
    expect(m11).toContain('<parameter name="mode" required="0" reloadable="1">');
    expect(m11).toContain('<action name="reload-agent" timeout="20s"/>');
    expect(m11).toMatch(/<action name="monitor" [^>]*role="Promoted"\/>/);
    expect(m11).toMatch(/<action name="monitor" [^>]*role="Unpromoted"\/>/);
    expect(m11).toContain('<action name="promote"');
    expect(m11).toContain('<action name="demote"');
    expect(m11).toMatch(/<action name="monitor" [^>]*depth="10"\/>/);
    expect(m11).toMatch(/<parameter name="token"[\s\S]*?give a path to a 0600 file instead/);
    const m10 = meta('roles', '1.0', OCF_FIXTURE_KITS);
    expect(xmllint(['--dtdvalid', DTD_10], m10).ok).toBe(true);
    expect(m10).toContain('<parameter name="name" required="1" unique="1">');
    expect(m10).not.toMatch(/unique-group|reloadable|reload-agent|select/);
  });

  it('our RelaxNG rejects what OCF 1.1 does not allow (a time type, a select without options, a bad role)', () => {
    const good = meta('app', '1.1');
    expect(xmllint(['--relaxng', RNG_11], good.replace('type="integer"', 'type="time"')).ok).toBe(false);
    expect(xmllint(['--relaxng', RNG_11], good.replace('<content type="integer" default="10"/>', '<content type="select"/>')).ok).toBe(false);
    expect(xmllint(['--relaxng', RNG_11], good.replace('<action name="stop"', '<action name="stop" role="Master"')).ok).toBe(false);
    expect(xmllint(['--relaxng', RNG_11], good.replace(/<shortdesc lang="en">/, '<shortdesc>')).ok).toBe(false);
  });

  it('the installed agent prints the profile it was installed with, or the one KIT_RUNNER_OCF_PROFILE names', async () => {
    const sb = ocfSandbox({ profile: '1.0' });
    const r = await sb.run('app', 'meta-data', {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('<version>1.0</version>');
    const r11 = await sb.run('app', 'meta-data', {}, { KIT_RUNNER_OCF_PROFILE: '1.1' });
    expect(r11.stdout).toContain('<version>1.1</version>');
    const d = ocfSandbox();
    expect((await d.run('ip', 'meta-data', {})).stdout).toContain('<version>1.1</version>');
  });
});
