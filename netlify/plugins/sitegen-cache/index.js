// Keeps .sitegen-cache/ between Netlify deploys, so a deploy after a one-article commit reuses
// every other article's rendered body and the related lists instead of building from nothing.
// sitegen trusts the restored files only if they are signed with the key in SITEGEN_CACHE_SECRET
// (set it in the site's environment variables); without it each build signs with a new key and
// discards what was restored.
const fs = require("fs");
const path = require("path");

const CACHE = ".sitegen-cache";
// A retired output tree that sitegen keeps to reuse as its next staging folder: as big as the
// site, and no use on a fresh build machine, so it is moved aside instead of uploaded.
const SPARE = path.join(CACHE, "spare-output");

module.exports = {
  async onPreBuild({ utils }) {
    if (!process.env.SITEGEN_CACHE_SECRET) {
      console.log("sitegen-cache: SITEGEN_CACHE_SECRET is not set, so a restored cache would be discarded");
    }
    if (await utils.cache.restore(CACHE)) {
      console.log(`sitegen-cache: restored ${CACHE}`);
    } else {
      console.log(`sitegen-cache: no ${CACHE} saved yet, building from nothing`);
    }
  },

  // Runs only after a successful build, so a failed build never replaces a good cache.
  async onPostBuild({ utils }) {
    try {
      fs.renameSync(SPARE, `${CACHE}-unsaved-spare-output`);
    } catch (error) {
      if (error.code !== "ENOENT") console.log(`sitegen-cache: kept ${SPARE} (${error.code})`);
    }
    if (await utils.cache.save(CACHE)) {
      console.log(`sitegen-cache: saved ${CACHE}`);
    }
  },
};
