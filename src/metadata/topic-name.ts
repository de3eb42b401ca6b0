// Kafka's topic name rules: 1–249 characters of [a-zA-Z0-9._-], not "." or "..", and no two topics
// whose names differ only by "." versus "_" (both map to the same metric name in Kafka).

export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** null when `name` is a legal topic name, else why not (with the name). */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return "topic name is empty";
  if (name === "." || name === "..") return `topic name ${JSON.stringify(name)} is not allowed`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `topic name of ${name.length} characters exceeds ${MAX_TOPIC_NAME_LENGTH}`;
  }
  if (!LEGAL.test(name)) {
    const bad = [...name].find((c) => !LEGAL.test(c));
    return `topic name ${JSON.stringify(name)} has the illegal character ${JSON.stringify(bad)}; only [a-zA-Z0-9._-] are allowed`;
  }
  return null;
}

/** Names that collide share this key. */
export function collisionKey(name: string): string {
  return name.replaceAll(".", "_");
}
