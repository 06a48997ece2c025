import { join } from 'node:path';
import { routeLogsToFile } from '../lib/log.ts';
import { stackConfig } from '../stack/config.ts';

// Services and clients run inside the test processes too; their JSON logs would bury vitest's
// report, so they go to one file beside the stack's logs (warnings and up; an error also prints
// one line naming the file). IPT_LOG_LEVEL keeps them on stderr, as for any ipt command.
routeLogsToFile(join(stackConfig().stateDir, 'logs', 'tests.log'));
