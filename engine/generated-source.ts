/**
 * Whether the runtime compiles source with `new Function` (a Content-Security-Policy without
 * 'unsafe-eval' refuses it): the generated rule predicates and account readers fall back to their
 * general paths when it does not.
 */
export const RUNTIME_COMPILES = (() => {
  try {
    return new Function('return true')() === true;
  } catch {
    return false;
  }
})();
