// The expected wait as a citizen reads it, on the kiosk, the phone page and the hall board:
// "约 15–25 分钟" from the API's estimated_wait_range (its 80 % range, in seconds), one figure
// where both ends come to the same minute, and "暂无估计" where nothing honest can be said.
// Each page's `t` translates the keys of hallq/wait_strings.py.
"use strict";

const hallqWait = {
  // Minutes, at least 1: a wait under half a minute still reads "about 1 min".
  minutes: (seconds) => Math.max(1, Math.round(seconds / 60)),

  text(t, range) {
    if (!range) return t("wait_unknown");
    const [low, high] = range.map(hallqWait.minutes);
    return low === high ? t("wait_minutes", { n: low }) : t("wait_range", { low, high });
  },

};
