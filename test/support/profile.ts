import { profileOf } from '#shared/data/profile-item.ts';
import { profileView as viewOfProfile } from '#shared/use-cases/profile-view.ts';

/** The API's view of a stored profile item, as tests read it back from the table. */
export const profileView = (item: Record<string, unknown>, currency: string) => viewOfProfile(profileOf(item), currency);
