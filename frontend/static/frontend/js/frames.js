// What a chat-socket frame must look like before a page acts on it (pure, no DOM). A frame that
// fails is logged and skipped by the page, which says so and keeps its socket (docs/frontend.md).

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const hasConversation = (frame) => isObject(frame.conversation) && Number.isInteger(frame.conversation.id);
const hasConversationId = (frame) => Number.isInteger(frame.conversation);

const CHECKS = {
  hello: (frame) => isObject(frame.user) && Array.isArray(frame.conversations) && (frame.risk === undefined || Array.isArray(frame.risk)) && (frame.warnings === undefined || Array.isArray(frame.warnings)),
  "conversation.started": hasConversation,
  "conversation.waiting": hasConversation,
  "conversation.ended": hasConversationId,
  "safety.guidance": (frame) => hasConversationId(frame) && typeof frame.guidance === "string",
  "safety.resources": (frame) => frame.helplines === undefined || Array.isArray(frame.helplines),
  "safety.warning": (frame) => typeof frame.text === "string" && frame.text !== "",
};

/** "" when `frame` can be acted on; otherwise why not (for the console). */
export function frameProblem(frame) {
  if (!isObject(frame) || typeof frame.type !== "string") return "not a frame";
  const check = CHECKS[frame.type];
  return check && !check(frame) ? `malformed ${frame.type}` : "";
}
