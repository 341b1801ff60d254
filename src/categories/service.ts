import type { Category, Database, TicketType } from '../db/client.ts';
import type { LocaleCode } from '../i18n/index.ts';

export function categoryName(category: Pick<Category, 'nameFr' | 'nameEn'>, locale: LocaleCode) {
  return locale === 'en' ? category.nameEn : category.nameFr;
}

export interface CategoryOption {
  id: number;
  label: string;
}

/**
 * Active categories of a type as form options, each parent followed by its active children
 * ("Parent › Child"). Children of an inactive parent are hidden with it.
 */
export async function listCategoryOptions(
  db: Database,
  type: TicketType,
  locale: LocaleCode,
): Promise<CategoryOption[]> {
  const categories = await db.category.findMany({
    where: { type, active: true },
    orderBy: [{ position: 'asc' }, { id: 'asc' }],
  });
  const options: CategoryOption[] = [];
  for (const parent of categories.filter((category) => category.parentId === null)) {
    options.push({ id: parent.id, label: categoryName(parent, locale) });
    for (const child of categories.filter((category) => category.parentId === parent.id)) {
      options.push({ id: child.id, label: `${categoryName(parent, locale)} › ${categoryName(child, locale)}` });
    }
  }
  return options;
}

/** Whether the category can be chosen for a new ticket of this type. */
export async function isSelectableCategory(db: Database, id: number, type: TicketType) {
  const category = await db.category.findFirst({
    where: { id, type, active: true },
    include: { parent: true },
  });
  return Boolean(category && (!category.parent || category.parent.active));
}
