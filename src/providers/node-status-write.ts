import type { NodeStatus } from '../model/fleet.js';
import { NotFoundError, StaleVersionError } from '../store/errors.js';
import type { Fence, Store } from '../store/store.js';

/**
 * Writes a Node's status as `subject`, under the leader's fence, only if the node is still at
 * `resourceVersion`. False when it changed or went since it was read (a heartbeat or an agent that
 * reported in wins; the caller reads it again on its next pass); a lost lease still throws.
 */
export async function writeNodeStatus(
  store: Store,
  writer: { readonly subject: string; readonly requestId: string; readonly fence: Fence },
  node: string,
  status: NodeStatus,
  resourceVersion: string,
): Promise<boolean> {
  try {
    await store.write(
      {
        requestId: writer.requestId,
        subject: { name: writer.subject },
        verb: 'update-status',
        fence: writer.fence,
      },
      (tx) => tx.updateStatus({ kind: 'Node', name: node }, status, resourceVersion),
    );
    return true;
  } catch (error) {
    if (error instanceof StaleVersionError || error instanceof NotFoundError) return false;
    throw error;
  }
}
