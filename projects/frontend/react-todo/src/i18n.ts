/** The app's texts in English and German. Keys are checked by TypeScript: both must match. */
import { createContext, useContext } from "react";

const en = {
  appName: "Portfolio To-do",
  signIn: "Sign in",
  signUp: "Create account",
  signOut: "Sign out",
  email: "E-mail",
  password: "Password",
  passwordHint: "At least 10 characters",
  displayName: "Name (optional)",
  haveAccount: "I already have an account",
  needAccount: "I need an account",
  projects: "Projects",
  newProject: "New project",
  projectName: "Project name",
  create: "Create",
  noProjects: "No projects yet. Create the first one.",
  tasks: "Tasks",
  members: "Members",
  analytics: "Analytics",
  newTask: "New task",
  title: "Title",
  add: "Add",
  status: "Status",
  priority: "Priority",
  due: "Due",
  labels: "Labels",
  labelsHint: "comma-separated",
  assignee: "Assignee",
  nobody: "Nobody",
  search: "Search",
  all: "All",
  overdueOnly: "Overdue only",
  overdue: "overdue",
  edit: "Edit",
  save: "Save",
  cancel: "Cancel",
  delete: "Delete",
  moveHandle: (title: string) =>
    `Reorder “${title}”: drag, or press Arrow Up or Arrow Down`,
  moved: (title: string, pos: number, n: number) =>
    `“${title}” moved to position ${pos} of ${n}`,
  noTasks: "No tasks match.",
  todo: "To do",
  in_progress: "In progress",
  done: "Done",
  low: "Low",
  medium: "Medium",
  high: "High",
  urgent: "Urgent",
  owner: "Owner",
  contributor: "Contributor",
  viewer: "Viewer",
  role: "Role",
  invite: "Invite",
  inviteEmail: "E-mail of the person to invite",
  remove: "Remove",
  readOnly:
    "You can view this project; only its members with edit rights can change it.",
  offline:
    "Offline: changes are saved on this device and sent when you are back online.",
  pending: (n: number) =>
    n === 1 ? "1 change waiting to sync" : `${n} changes waiting to sync`,
  synced: "All changes saved",
  refused: (why: string) => `The server refused the change: ${why}`,
  conflictTitle: "Someone else changed this task",
  conflictBody: (title: string) =>
    `While you were editing “${title}”, another person changed it. Which version should stay?`,
  conflictGone: (title: string) =>
    `“${title}” was deleted by someone else meanwhile.`,
  keepMine: "Keep my changes",
  useTheirs: "Use their version",
  tasksByStatus: "Tasks by status",
  completedPerWeek: "Completed per week",
  completionRate: "Completion rate",
  medianCycle: "Median cycle time",
  hours: (h: number) => `${h.toFixed(1)} h`,
  kudos: "Kudos",
  completedToday: "Completed today",
  language: "Language",
  theme: "Theme",
  system: "System",
  light: "Light",
  dark: "Dark",
  loading: "Loading…",
  skip: "Skip to content",
  liveUpdate: (title: string) => `Updated by someone else: ${title}`,
  total: "Total",
};

export type Messages = typeof en;

const de: Messages = {
  appName: "Portfolio To-do",
  signIn: "Anmelden",
  signUp: "Konto anlegen",
  signOut: "Abmelden",
  email: "E-Mail",
  password: "Passwort",
  passwordHint: "Mindestens 10 Zeichen",
  displayName: "Name (optional)",
  haveAccount: "Ich habe schon ein Konto",
  needAccount: "Ich brauche ein Konto",
  projects: "Projekte",
  newProject: "Neues Projekt",
  projectName: "Projektname",
  create: "Anlegen",
  noProjects: "Noch keine Projekte. Legen Sie das erste an.",
  tasks: "Aufgaben",
  members: "Mitglieder",
  analytics: "Auswertung",
  newTask: "Neue Aufgabe",
  title: "Titel",
  add: "Hinzufügen",
  status: "Status",
  priority: "Priorität",
  due: "Fällig",
  labels: "Schlagwörter",
  labelsHint: "durch Kommas getrennt",
  assignee: "Zuständig",
  nobody: "Niemand",
  search: "Suchen",
  all: "Alle",
  overdueOnly: "Nur überfällige",
  overdue: "überfällig",
  edit: "Bearbeiten",
  save: "Speichern",
  cancel: "Abbrechen",
  delete: "Löschen",
  moveHandle: (title) =>
    `„${title}“ verschieben: ziehen oder Pfeil nach oben/unten drücken`,
  moved: (title, pos, n) => `„${title}“ ist jetzt an Position ${pos} von ${n}`,
  noTasks: "Keine passenden Aufgaben.",
  todo: "Offen",
  in_progress: "In Arbeit",
  done: "Erledigt",
  low: "Niedrig",
  medium: "Mittel",
  high: "Hoch",
  urgent: "Dringend",
  owner: "Eigentümer",
  contributor: "Mitwirkende",
  viewer: "Lesend",
  role: "Rolle",
  invite: "Einladen",
  inviteEmail: "E-Mail der einzuladenden Person",
  remove: "Entfernen",
  readOnly:
    "Sie können dieses Projekt ansehen; ändern können es nur Mitglieder mit Schreibrecht.",
  offline:
    "Offline: Änderungen bleiben auf diesem Gerät und werden gesendet, sobald Sie wieder online sind.",
  pending: (n) =>
    n === 1
      ? "1 Änderung wartet auf Abgleich"
      : `${n} Änderungen warten auf Abgleich`,
  synced: "Alle Änderungen gespeichert",
  refused: (why) => `Der Server hat die Änderung abgelehnt: ${why}`,
  conflictTitle: "Jemand anderes hat diese Aufgabe geändert",
  conflictBody: (title) =>
    `Während Sie „${title}“ bearbeitet haben, hat jemand anderes sie geändert. Welche Fassung soll bleiben?`,
  conflictGone: (title) =>
    `„${title}“ wurde inzwischen von jemand anderem gelöscht.`,
  keepMine: "Meine Änderungen behalten",
  useTheirs: "Deren Fassung übernehmen",
  tasksByStatus: "Aufgaben nach Status",
  completedPerWeek: "Erledigt pro Woche",
  completionRate: "Erledigungsquote",
  medianCycle: "Mittlere Durchlaufzeit",
  hours: (h) => `${h.toFixed(1).replace(".", ",")} h`,
  kudos: "Kudos",
  completedToday: "Heute erledigt",
  language: "Sprache",
  theme: "Darstellung",
  system: "System",
  light: "Hell",
  dark: "Dunkel",
  loading: "Lädt…",
  skip: "Zum Inhalt springen",
  liveUpdate: (title) => `Von jemand anderem geändert: ${title}`,
  total: "Gesamt",
};

export const dictionaries = { en, de } as const;
export type Lang = keyof typeof dictionaries;

export function pickLang(tag: string | null | undefined): Lang {
  return (tag ?? "").toLowerCase().startsWith("de") ? "de" : "en";
}

export const I18n = createContext<{ t: Messages; lang: Lang }>({
  t: en,
  lang: "en",
});

export function useT(): Messages {
  return useContext(I18n).t;
}
