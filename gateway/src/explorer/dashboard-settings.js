// The dashboard's settings: kept in the page's query string (so a view can be shared), read at
// load and written on change, and the time range they give.

/** Each setting's default; the query string holds only the settings that differ from it. */
export const DEFAULTS = {
  days: "30",
  interval: "DAY",
  tz: "UTC",
  steps: "page_view,signup,purchase",
  event: "page_view",
  retention: "RECURRING",
  pathStart: "",
  currency: "",
  alerts: "open",
};

const CHOICES = {
  days: ["7", "30", "90"],
  interval: ["DAY", "WEEK", "MONTH"],
  retention: ["RECURRING", "FIRST_TIME"],
  alerts: ["open", "all"],
};

/** The settings of a query string: defaults for those missing or not among the choices. */
export function readSettings(search) {
  const params = new URLSearchParams(search);
  const settings = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) {
    const value = params.get(key)?.trim();
    if (value === undefined || value === null) continue;
    if (CHOICES[key] && !CHOICES[key].includes(value)) continue;
    settings[key] = value;
  }
  if (!isTimeZone(settings.tz)) settings.tz = DEFAULTS.tz;
  settings.steps = eventList(settings.steps).join(",") || DEFAULTS.steps;
  settings.currency = settings.currency.toUpperCase();
  return settings;
}

/** The query string of settings (without those at their default), e.g. "?days=7&tz=Asia%2FTokyo". */
export function settingsSearch(settings) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(settings))
    if (value !== DEFAULTS[key]) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function isTimeZone(name) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The event types of a comma-separated list, blanks dropped. */
export function eventList(text) {
  return text
    .split(",")
    .map((type) => type.trim())
    .filter(Boolean);
}

/** Milliseconds to add to UTC to read the wall clock of `timeZone` at instant `ms`. */
function offsetAt(ms, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(ms))
      .map((part) => [part.type, part.value]),
  );
  const wall = Date.UTC(
    +parts.year,
    +parts.month - 1,
    +parts.day,
    +parts.hour,
    +parts.minute,
    +parts.second,
  );
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant of local midnight of the calendar day (year, month 0-11, day) in `timeZone`. */
function localMidnight(year, month, day, timeZone) {
  const wall = Date.UTC(year, month, day);
  let guess = wall - offsetAt(wall, timeZone);
  guess = wall - offsetAt(guess, timeZone);
  return guess;
}

/**
 * The range the panels read: `days` whole local days of `tz` ending with today (`to` is the next
 * local midnight), and for the events chart the 48 whole hours ending with the current one.
 */
export function rangeOf(settings, now = new Date()) {
  const local = new Date(now.getTime() + offsetAt(now.getTime(), settings.tz));
  const [y, m, d] = [local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()];
  const to = localMidnight(y, m, d + 1, settings.tz);
  const from = localMidnight(y, m, d + 1 - Number(settings.days), settings.tz);
  const hourEnd = Math.ceil((now.getTime() + 1) / 3_600_000) * 3_600_000;
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    from48h: new Date(hourEnd - 48 * 3_600_000).toISOString(),
    to48h: new Date(hourEnd).toISOString(),
  };
}
