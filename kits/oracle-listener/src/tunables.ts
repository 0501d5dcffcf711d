/** The Oracle listener kit's tunables (tunables file, NAME_<tag> overrides). */
import type { TunableSpec } from '@recovery-kit/sdk';

export const tunables = {
  LSNR_START_TIME: { kind: 'integer', default: 60, min: 1, description: 'Seconds lsnrctl start may take.' },
  LSNR_STATUS_TIME: {
    kind: 'integer',
    default: 15,
    min: 1,
    description: 'Seconds lsnrctl status may take; a listener that does not answer in time fails quickCheck.',
  },
  LSNR_STOP_TIME: { kind: 'integer', default: 60, min: 1, description: 'Seconds lsnrctl stop may take before the kit ends the tnslsnr process itself.' },
  LSNR_KILLPID_TIME: { kind: 'integer', default: 10, min: 0, description: 'Seconds between SIGTERM and SIGKILL of a tnslsnr process that does not stop.' },
} as const satisfies Record<string, TunableSpec>;
