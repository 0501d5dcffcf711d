/**
 * The only module of the kit that loads the AWS SDK. It is imported with `import()` at the first
 * AWS call (see aws.ts), so that an action which makes none (a route-table remove, help, `kits`,
 * `tunables`) loads no AWS client at all; the build bundles it (with only these commands) into a
 * chunk of its own.
 */
export {
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DisassociateAddressCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
export { ec2Client } from '@recovery-kit/aws/ec2';
