/**
 * Pacemaker's XML interfaces (crm_mon --output-as=xml, cibadmin --query) read into a small
 * element tree: the runner's one XML reader (`@recovery-kit/runner/xml`, packages/runner/src/
 * cluster/xml.ts), under the names this package has always exported. Never parse Pacemaker's
 * text output: it changes between releases.
 */
export {
  type El as XmlElement,
  parseXml,
  kid as child,
  kids as childrenNamed,
  all as descendants,
  esc as xmlEscape,
} from '@recovery-kit/runner/xml';
