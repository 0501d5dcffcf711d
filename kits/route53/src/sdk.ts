/**
 * The only module of the kit that loads the AWS SDK (Route 53 only: this kit never loads the EC2
 * client). Imported with `import()` at the first call (see aws.ts), so that help, `kits`,
 * `tunables` and actions that make no call load no AWS client; the build bundles it, with only
 * these commands, into a chunk of its own.
 */
export { ChangeResourceRecordSetsCommand, GetChangeCommand, ListHostedZonesCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
export { route53Client } from '@recovery-kit/aws/route53';
