/** Held records (issue 18): which rows are held and why, and what a person does about each. The pages, the API and the CLI enter here. */
export { heldActionNames, listHeld, type HeldActionName, type HeldDeps, type HeldField, type HeldRecord, type HeldView, type HeldWhy } from './list.js';
export { actOnHeld, undoHeldAction, type HeldActionInput, type HeldActionResult } from './actions.js';
export { listActions, type HeldActionEntry } from './store.js';
