// The seeker's crisis panel: the lines for their situation, in the country they chose.
// The lists and their order come from the server (support.helplines, rendered as `helpline-choices`);
// this module only picks one and draws it. The chosen country is kept in this browser only.

import { chooseCountry, pickHelplines } from "./crisis.js";
import { $, el, helplineList, readJson } from "./dom.js";

const STORE_KEY = "hearth.helplineCountry";

function storedCountry() {
  try {
    return localStorage.getItem(STORE_KEY);
  } catch (error) {
    return null; // storage disabled: the default country
  }
}

function storeCountry(code) {
  try {
    localStorage.setItem(STORE_KEY, code);
  } catch (error) {
    /* not kept: the choice holds for this page only */
  }
}

export class ResourcesPanel {
  /** `onChange` is called after the seeker picks another country (the page re-renders). */
  constructor({ onChange }) {
    this.choices = readJson("helpline-choices", { countries: [], lines: {}, default_country: "" });
    this.country = chooseCountry(this.choices, storedCountry());
    this.select = $("#resources-country");
    this.toggle = $("#resources-toggle");
    this.body = $("#resources-body");
    if (this.select) {
      this.select.replaceChildren(...this.choices.countries.map((entry) => el("option", { value: entry.code, text: entry.name })));
      this.select.value = this.country;
      this.select.addEventListener("change", () => {
        this.country = chooseCountry(this.choices, this.select.value);
        storeCountry(this.country);
        onChange();
      });
    }
    if (this.toggle) this.toggle.addEventListener("click", () => this.expand(this.toggle.getAttribute("aria-expanded") !== "true"));
  }

  expand(open) {
    this.toggle.setAttribute("aria-expanded", String(open));
    this.body.hidden = !open;
  }

  /** The lines for `risk` ({urgent, helplines}) and the seeker's `ageGroup`, as a list element. */
  list(risk, ageGroup) {
    const lines = pickHelplines(this.choices, { country: this.country, ageGroup, urgent: Boolean(risk && risk.urgent) }, risk && risk.helplines);
    return helplineList(lines);
  }
}
