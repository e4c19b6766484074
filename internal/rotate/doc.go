// Package rotate is the rotation engine: it provisions a policy's
// databases, replaces its token, and keeps enough durable state that a
// crash at any point converges on restart.
//
// One rotation moves through these steps. Each step is written to the
// policy's journal in the state directory before the next one starts. Each
// sink also keeps the token ID beside the secret, so a restart can read
// where the rotation stopped from the journal or from the sinks.
//
//	step        what is true once it is recorded      a crash here leaves, and restart does
//	----------  ------------------------------------  ----------------------------------------------
//	creating    a rotation ID is chosen; the create   maybe a new token nobody holds: list tokens,
//	            request may be on the wire            find it by the ID marker in its description,
//	                                                  delete it, start over
//	created     the new token exists; its secret is   same as above unless a sink already holds the
//	            only in memory                        secret: then stage it everywhere and go on
//	staged      every sink holds the secret as        the secret is read back from a sink; the
//	            pending; consumers still read the     propagation probe runs again
//	            old one
//	active      the data plane accepted the new       promote again (idempotent)
//	            token
//	promoted    every sink serves the new secret as   wait out the rest of the grace window, whose
//	            current; the grace window starts      end is in the journal
//	old-deleted the old token is deleted              the journal is closed
//
// Anything that fails before "active" abandons the rotation: pending
// secrets are discarded and the new token is deleted, so the old token and
// the secret consumers read stay as they were. From "active" on, the
// rotation only moves forward; a failure leaves it in the journal and the
// next run resumes it. The old token is deleted only after every sink
// serves the new one as current, the data plane accepted it, and the
// grace window passed, and never while any sink still serves it.
//
// Tokens the engine creates carry a marker ("[rotatord:POLICY:ID]") at the
// end of their description. Reconcile deletes marked tokens of a policy
// that neither the journal nor any sink accounts for: the orphans a crash
// between create and the first sink write leaves behind.
package rotate
