-- Names of the platform's event types as the admins read them, in each interface language.
-- The course bot writes bare codes into events.event_type; a code without a name here is shown
-- as it is. Admins add and rename names from the bot (statistics → events → 🏷).
CREATE TABLE IF NOT EXISTS event_labels (
    code     text PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 64),
    label_ru text CHECK (length(label_ru) BETWEEN 1 AND 64),
    label_en text CHECK (length(label_en) BETWEEN 1 AND 64),
    CHECK (label_ru IS NOT NULL OR label_en IS NOT NULL)
);

-- the codes the course bot writes
INSERT INTO event_labels (code, label_ru, label_en) VALUES
    ('bot_start', 'Запуск бота', 'Bot started'),
    ('menu_opened', 'Открытие меню', 'Menu opened'),
    ('course_info_viewed', 'Описание курса', 'Course info viewed'),
    ('faq_opened', 'Открытие FAQ', 'FAQ opened'),
    ('reviews_viewed', 'Просмотр отзывов', 'Reviews viewed'),
    ('stream_schedule_viewed', 'Расписание потоков', 'Stream schedule viewed'),
    ('free_lesson_registered', 'Запись на урок', 'Free lesson sign-up'),
    ('lesson_link_clicked', 'Переход к уроку', 'Lesson link clicked'),
    ('payment_link_clicked', 'Переход к оплате', 'Payment link clicked'),
    ('referral_link_opened', 'Реферальная ссылка', 'Referral link opened')
ON CONFLICT (code) DO NOTHING;
