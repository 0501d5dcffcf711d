/** The {{kitType}} kit's option schema, its type, and the context type the actions take. */
import { defineOptions, opt, type KitContext } from '@recovery-kit/sdk';

export const options = defineOptions({
  path: opt.string({
    description: 'The file this resource protects: present while the resource is in service on this server, absent otherwise.',
    required: true,
    perServer: true,
    example: '/run/{{kitType}}/in-service',
    check: (v: string) =>
      v.startsWith('/') ? undefined : { message: `${JSON.stringify(v)} is not an absolute path`, fix: 'give the full path, e.g. /run/{{kitType}}/in-service' },
  }),
  content: opt.string({ description: 'What restore writes into the file.', default: 'in service' }),
});

export type Options = ReturnType<typeof options.parse>;
export type Ctx = KitContext<Options>;
