// Whether this browser still has to accept the current privacy notice, with no DOM.
// The page starts from the server's answer (json_script "privacy-state": {version, due});
// unit-tested with `node --test` (tests/frontend/account_state.test.mjs).

export function initialPrivacy(config) {
  const version = config && Number.isInteger(config.version) ? config.version : null;
  return { version, due: Boolean(config && config.due) || version === null, outdated: false };
}

export function reducePrivacy(state, event) {
  switch (event.type) {
    case "accepted":
      // Only the version this page showed counts as accepted.
      return event.version === state.version ? { ...state, due: false, outdated: false } : state;
    case "outdated":
      return { version: event.version ?? state.version, due: true, outdated: true };
    default:
      return state;
  }
}
