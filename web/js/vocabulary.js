// The words staff read for a call's enumerated values (states, end reasons, purposes,
// outcomes, decisions), from GET /api/vocabulary: fetched once per page, then looked up.
// A <select data-vocabulary="outcomes"> in a page is filled with that list's options; its
// placeholder options (value "") stay. The buyer page does not use these staff labels.
// It also lists the languages: the buyer page's (`locales`) and the staff pages'
// (`staff_locales`), each {code, name (in itself), dir}.
// A label is the staff language's (staff catalogue key "vocab.<list>.<code>") when the
// catalogue has it, else the server's English. The outcomes and their categories are the
// shop's: a label an admin changed (`shipped: false`) is shown as the admin wrote it, and
// a retired code (`retired_outcomes`) keeps its label on old calls.
import { get } from "./api.js";
import { t } from "./staff_i18n.js";

let loading = null;

/** The vocabulary, fetched on the first call; later calls share the same answer. */
export function loadVocabulary() {
  if (!loading) {
    loading = get("/api/vocabulary").then((data) => new Vocabulary(data));
    loading.catch(() => {
      loading = null; // a later call may try again
    });
  }
  return loading;
}

export class Vocabulary {
  constructor(data) {
    const { locales = [], staff_locales: staffLocales = [], ...labelled } = data;
    this.locales = locales;
    this.staffLocales = staffLocales;
    this.lists = new Map();
    this.own = new Set(); // "<list>.<code>" of labels the shop wrote itself
    this.categoryOf = new Map(); // outcome code -> its category's code
    this.purposesOf = new Map(); // outcome code -> the call purposes it serves
    this.categoryPurposes = new Map(); // category code -> the call purposes its codes serve
    for (const [name, terms] of Object.entries(labelled)) {
      this.lists.set(name, new Map(terms.map((term) => [term.code, term.label])));
      const list = name === "retired_outcomes" ? "outcomes" : name;
      for (const term of terms) {
        if (term.shipped === false) this.own.add(`${list}.${term.code}`);
        if (term.category) this.categoryOf.set(term.code, term.category);
        if (term.purposes && list === "outcomes") this.purposesOf.set(term.code, term.purposes);
        if (term.purposes && list === "outcome_categories") this.categoryPurposes.set(term.code, term.purposes);
      }
    }
  }

  /** The buyer page's own name of a language ("Deutsch" for "de"); null when not listed. */
  ownName(code) {
    const found = this.locales.find((loc) => loc.code === code);
    return found ? found.name : null;
  }

  /** [{code, label}] of one list ("outcomes", "decisions", ...), in display order; with
   * `purpose`, only the outcomes a call of that purpose may take (a demo's results, or the
   * return reasons of a damage check or an inspection). */
  terms(list, purpose = null) {
    const terms = this.lists.get(list);
    if (!terms) throw new Error(`no vocabulary list ${list}`);
    let codes = [...terms.keys()];
    if (purpose && list === "outcomes") {
      codes = codes.filter((code) => (this.purposesOf.get(code) || []).includes(purpose));
    }
    return codes.map((code) => ({ code, label: this.label(list, code) }));
  }

  /** The label of `code` in `list`; "" for no code, the code itself for an unknown one. */
  label(list, code) {
    if (code === null || code === undefined || code === "") return "";
    const key = `vocab.${list}.${code}`;
    const translated = this.own.has(`${list}.${code}`) ? key : t(key);
    if (translated !== key) return translated;
    const terms = this.lists.get(list);
    const retired = list === "outcomes" ? this.lists.get("retired_outcomes") : null;
    return (terms && terms.get(code)) || (retired && retired.get(code)) || String(code).replaceAll("_", " ");
  }

  /** Replace the options of `select` (other than its placeholders) with `list`'s terms,
   * keeping the chosen value. `list` defaults to the select's data-vocabulary; `purpose`
   * (a call's) narrows the outcomes to that purpose's. */
  fillSelect(select, list = select.dataset.vocabulary, purpose = null) {
    const chosen = select.value;
    const placeholders = [...select.options].filter((option) => option.value === "");
    const options = this.terms(list, purpose).map(({ code, label }) => new Option(label, code));
    select.replaceChildren(...placeholders, ...options);
    select.value = chosen;
    if (select.selectedIndex < 0 && select.options.length > 0) select.selectedIndex = 0;
  }

  /** Fill every <select data-vocabulary> under `root`. */
  fillSelects(root = document) {
    for (const select of root.querySelectorAll("select[data-vocabulary]")) this.fillSelect(select);
  }
}
