// What the web payload offers the main bundle (load-web.ts): the server and
// the invitation mails.
export { invitationText, sendInvitationMails, type InvitationMail, type MailOutcome } from './mail.js';
export { serveWeb, startWebServer, type RunningWebServer, type WebServerOptions } from './serve.js';
export { noticeText, sendNoticeMails, type NoticeMail } from './notice-mail.js';
