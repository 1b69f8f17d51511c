-- WeChat's placeholder profile (the nickname 微信用户, the grey default avatar) names nobody:
-- identities stored before Saoma treated it as absent forget it.

UPDATE identities SET nickname = NULL WHERE TRIM(nickname) = '微信用户';
UPDATE identities SET avatar = NULL
    WHERE avatar LIKE '%/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/%';
