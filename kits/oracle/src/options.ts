/** The Oracle Database kit's option schema and its type. */
import { isAbsolute } from 'node:path';
import { defineOptions, opt, type KitContext } from '@recovery-kit/sdk';

const absolute = (what: string) => (v: string) =>
  isAbsolute(v) ? undefined : { message: `${JSON.stringify(v)} is not an absolute path`, fix: `give the full path of the ${what}` };

export const options = defineOptions(
  {
    sid: opt.string({ description: 'ORACLE_SID of the instance.', required: true, example: 'ORCL', pattern: /^[A-Za-z][A-Za-z0-9_]{0,11}$/ }),
    home: opt.string({
      description: 'ORACLE_HOME. Default: the entry for the SID in the oratab file (recorded at create).',
      example: '/u01/app/oracle/product/19.0.0/dbhome_1',
      check: absolute('Oracle home'),
    }),
    user: opt.string({
      description: 'OS user that owns the Oracle software and runs sqlplus. Default: the owner of ORACLE_HOME (recorded at create).',
      pattern: /^[a-z_][a-z0-9_-]*\$?$/,
    }),
    oratab: opt.string({ description: 'The oratab file used to find ORACLE_HOME.', default: '/etc/oratab', check: absolute('oratab file') }),
    tnsAdmin: opt.string({
      description: 'TNS_ADMIN (directory of tnsnames.ora, sqlnet.ora, listener.ora). Default: <home>/network/admin.',
      check: absolute('TNS_ADMIN directory'),
    }),
    listener: opt.string({
      description: 'Name of the listener serving this database (as in listener.ora).',
      default: 'LISTENER',
      pattern: /^[A-Za-z][A-Za-z0-9_]{0,63}$/,
    }),
    protectListener: opt.boolean({
      description: 'Create (or reuse) an oracle-listener resource for the listener as a child of this database at create.',
      default: true,
    }),
    listenerTag: opt.string({
      description: 'Tag of the listener resource. Default: lsnr-<listener name in lower case> (several databases may share it).',
      pattern: /^[A-Za-z0-9_-][A-Za-z0-9_./-]{0,255}$/,
    }),
    connect: opt.enum(['os', 'password', 'wallet'] as const, {
      description:
        'How quickCheck logs in: os = "/ as sysdba" (OS authentication, the user must be in the OSDBA group); password = monitorUser with the password read from passwordFile; wallet = "/@walletAlias" through a secure external password store.',
      default: 'os',
    }),
    monitorUser: opt.string({
      description: 'Database account for connect=password (needs CREATE SESSION and SELECT on V_$INSTANCE and V_$DATABASE).',
      pattern: /^[A-Za-z][A-Za-z0-9_$#]{0,127}$/,
    }),
    passwordFile: opt.string({
      description: 'File whose first line is the password of monitorUser (mode 0600). Fed to sqlplus on standard input only.',
      check: absolute('password file'),
    }),
    walletAlias: opt.string({ description: 'TNS alias whose credentials the wallet holds, for connect=wallet.', pattern: /^[A-Za-z][A-Za-z0-9_.-]*$/ }),
    expectedOpenMode: opt.enum(['READ WRITE', 'READ ONLY', 'any'] as const, {
      description: 'Open mode V$DATABASE must show (READ WRITE for a primary).',
      default: 'READ WRITE',
      perServer: true,
    }),
  },
  (v) => {
    const issues = [];
    if (v.connect === 'password' && (!v.monitorUser || !v.passwordFile))
      issues.push({
        field: v.monitorUser ? 'passwordFile' : 'monitorUser',
        message: 'connect=password needs monitorUser and passwordFile',
        fix: 'give both, or use connect=os',
      });
    if (v.connect === 'wallet' && !v.walletAlias)
      issues.push({ field: 'walletAlias', message: 'connect=wallet needs walletAlias', fix: 'give the TNS alias stored in the wallet' });
    return issues;
  },
);
export type Options = ReturnType<typeof options.parse>;
export type Ctx = KitContext<Options>;
