/** The signed-in user as pages and components see it (never the password hash). */
export type Role = 'admin' | 'manager';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  locale: 'zh-CN' | 'en';
}
