// One short news paragraph in English, German and French, and English letters without English
// words: inputs for the language step's tests.

export const ENGLISH =
  'The harbour bridge reopened to traffic on Monday morning after eight months of repairs. ' +
  'Engineers had found corrosion in several of the steel cables that hold up the main span, and ' +
  'the city decided to replace all of them rather than wait for the next inspection.';
export const GERMAN =
  'Die Hafenbrücke wurde am Montagmorgen nach acht Monaten Reparaturarbeiten wieder für den ' +
  'Verkehr freigegeben. Ingenieure hatten an mehreren Stahlseilen, die die Hauptspannweite tragen, ' +
  'Korrosion festgestellt, und die Stadt beschloss, alle zu ersetzen.';
export const FRENCH =
  'Le pont du port a rouvert à la circulation lundi matin après huit mois de travaux. Les ' +
  'ingénieurs avaient trouvé de la corrosion sur plusieurs câbles en acier qui soutiennent la ' +
  'travée principale, et la ville a décidé de tous les remplacer.';
/** Each word spelt backwards: English letters, no English words (what junk looks like to n-grams). */
export const REVERSED = ENGLISH.replace(/[A-Za-z]{2,}/g, (w) => [...w].reverse().join(''));
