/** Naming rules, checked before anything is written. Messages name the field. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** GitHub user and organisation names. */
export const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
/** GitHub repository names. */
export const GITHUB_REPO = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;
/** A workflow file name in .github/workflows, or its numeric id. */
export const WORKFLOW = /^(?:[A-Za-z0-9._-]{1,100}\.ya?ml|\d{1,20})$/;
/** Branch or tag names (git check-ref-format, simplified) and SHAs. */
export const GIT_REF = /^(?!\/|.*\/\/|.*\.\.|.*@\{|.*\.lock$|.*\/$|.*\.$)[A-Za-z0-9._\-/]{1,200}$/;
/** Workflow input names. */
export const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;
