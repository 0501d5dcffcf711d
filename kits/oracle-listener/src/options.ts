/** The Oracle listener kit's option schema and its type. */
import { isAbsolute } from 'node:path';
import { defineOptions, opt, type KitContext } from '@recovery-kit/sdk';

const absolute = (what: string) => (v: string) =>
  isAbsolute(v) ? undefined : { message: `${JSON.stringify(v)} is not an absolute path`, fix: `give the full path of the ${what}` };

export const options = defineOptions({
  home: opt.string({
    description: 'ORACLE_HOME holding bin/lsnrctl.',
    required: true,
    example: '/u01/app/oracle/product/19.0.0/dbhome_1',
    check: absolute('Oracle home'),
  }),
  user: opt.string({
    description: 'OS user that runs the listener. Default: the owner of ORACLE_HOME (recorded at create).',
    pattern: /^[a-z_][a-z0-9_-]*\$?$/,
  }),
  listener: opt.string({ description: 'Listener name as in listener.ora.', default: 'LISTENER', pattern: /^[A-Za-z][A-Za-z0-9_]{0,63}$/ }),
  tnsAdmin: opt.string({ description: 'TNS_ADMIN: directory of listener.ora. Default: <home>/network/admin.', check: absolute('TNS_ADMIN directory') }),
});
export type Options = ReturnType<typeof options.parse>;
export type Ctx = KitContext<Options>;
