// dist/index.js without the AWS SDK, and the SDK's commands this kit sends in a chunk loaded at
// its first AWS call (see @recovery-kit/aws/bundle-kit).
import { bundleKit } from '@recovery-kit/aws/bundle-kit';

await bundleKit(new URL('..', import.meta.url));
